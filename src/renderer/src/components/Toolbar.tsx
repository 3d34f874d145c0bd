/** The top bar: add images, search kept captions, and open the windows (save captions, models, settings, shortcuts). */
import type { RefObject } from 'react'
import appIcon from '../../../../resources/icon.svg'
import { Icon } from './Icon.tsx'

export interface ToolbarProps {
  readonly onOpenImages: () => void
  readonly onOpenFolder: () => void
  /** Watch a folder (shown while none is watched). */
  readonly onWatch?: () => void
  readonly watching?: boolean
  readonly onExport: () => void
  readonly onModels: () => void
  readonly onSettings: () => void
  readonly onHelp: () => void
  readonly canExport: boolean
  readonly mod: string
  /** The words in the search box (the caption library); '' shows the list of cards. */
  readonly search: string
  readonly onSearch: (words: string) => void
  readonly searchRef?: RefObject<HTMLInputElement | null>
}

export function Toolbar({ searchRef, ...props }: ToolbarProps): React.JSX.Element {
  const { mod } = props
  return (
    <header className="toolbar">
      <div className="toolbar__brand">
        <img className="toolbar__logo" src={appIcon} alt="" width={28} height={28} />
        <span className="toolbar__name">SmolVLM</span>
      </div>
      <nav className="toolbar__group" aria-label="Add images">
        <button
          type="button"
          className="button"
          onClick={props.onOpenImages}
          title={`Open images (${mod}+O)`}
        >
          <Icon name="image" /> Open images…
        </button>
        <button
          type="button"
          className="button"
          onClick={props.onOpenFolder}
          title={`Open a folder, with its subfolders (${mod}+Shift+O)`}
        >
          <Icon name="folder" /> Open folder…
        </button>
        {props.onWatch && !props.watching ? (
          <button
            type="button"
            className="button"
            onClick={props.onWatch}
            title="Describe the images that land in a folder, as they arrive"
          >
            <Icon name="eye" /> Watch folder…
          </button>
        ) : null}
      </nav>
      <div className="toolbar__spacer" />
      <div className="search-box" role="search">
        <Icon name="search" size={16} />
        <input
          ref={searchRef}
          type="search"
          className="search-box__input"
          placeholder="Search kept captions"
          aria-label="Search kept captions"
          title={`Search every caption kept on this computer (${mod}+F)`}
          value={props.search}
          spellCheck={false}
          onChange={(event) => props.onSearch(event.target.value)}
          onKeyDown={(event) => {
            if (event.key === 'Escape' && props.search !== '') {
              event.preventDefault()
              event.stopPropagation()
              props.onSearch('')
            }
          }}
        />
      </div>
      <nav className="toolbar__group" aria-label="Windows">
        <button
          type="button"
          className="button"
          onClick={props.onExport}
          disabled={!props.canExport}
          title={`Save captions (${mod}+S)`}
        >
          <Icon name="save" /> Save captions…
        </button>
        <button type="button" className="button" onClick={props.onModels} title="Model manager (M)">
          <Icon name="chip" /> Models
        </button>
        <button
          type="button"
          className="icon-button"
          onClick={props.onSettings}
          aria-label="Settings"
          title={`Settings (${mod}+,)`}
        >
          <Icon name="gear" />
        </button>
        <button
          type="button"
          className="icon-button"
          onClick={props.onHelp}
          aria-label="Keyboard shortcuts"
          title="Keyboard shortcuts (?)"
        >
          <Icon name="keyboard" />
        </button>
      </nav>
    </header>
  )
}

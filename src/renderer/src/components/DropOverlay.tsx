import { Icon } from './Icon.tsx'

/** Shown over the window while files are dragged over it. */
export function DropOverlay(): React.JSX.Element {
  return (
    <div className="drop-overlay" aria-hidden="true">
      <div className="drop-overlay__box">
        <Icon name="plus" size={36} />
        <p>Drop to add images</p>
        <p className="small">Folders are searched with their subfolders.</p>
      </div>
    </div>
  )
}

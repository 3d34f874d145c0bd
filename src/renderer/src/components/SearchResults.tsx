/**
 * The caption library's answer to the search box: the found images as cards (thumbnail, name, folder, the kept
 * caption with the matching words marked), and beside them every caption kept for the selected one.
 */
import { useEffect, useState } from 'react'
import type { ImageRef, LibraryEntryInfo, SearchHitInfo, SmolvlmApi } from '../../../shared/api.ts'
import type { SearchState } from '../hooks/useLibrarySearch.ts'
import { Icon } from './Icon.tsx'
import { Thumb } from './Thumb.tsx'

export interface SearchResultsProps {
  readonly api: SmolvlmApi
  readonly search: SearchState
  /** Puts a found image on the list of cards with its kept caption (to save it again, or describe it again). */
  readonly onAddToList: (image: ImageRef, entry: LibraryEntryInfo) => void
}

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' })
const when = (ms: number): string => dateFormat.format(new Date(ms))

function writtenTo(entry: LibraryEntryInfo): string | null {
  if (entry.writes.length === 0) return null
  const labels = { txt: 'caption file', embedded: 'image metadata', xmp: 'XMP sidecar' } as const
  return entry.writes.map((w) => `${labels[w.kind]} ${w.file} (${w.outcome})`).join(', ')
}

function Highlighted({ parts }: { parts: SearchHitInfo['parts'] }): React.JSX.Element {
  return <>{parts.map((part, index) => (part.match ? <mark key={index}>{part.text}</mark> : part.text))}</>
}

function HitCard({
  api,
  hit,
  selected,
  onSelect
}: {
  api: SmolvlmApi
  hit: SearchHitInfo
  selected: boolean
  onSelect: () => void
}): React.JSX.Element {
  const { entry, image } = hit
  return (
    <article
      className={`card search-hit${selected ? ' card--selected' : ''}${image ? '' : ' search-hit--missing'}`}
      tabIndex={0}
      data-testid="search-hit"
      aria-label={`${entry.name}${image ? '' : ', file not found'}`}
      aria-current={selected ? 'true' : undefined}
      onClick={onSelect}
      onKeyDown={(event) => {
        if (event.key === 'Enter' || event.key === ' ') {
          event.preventDefault()
          onSelect()
        }
      }}
    >
      {image ? (
        <Thumb api={api} id={image.id} name={entry.name} className="card__thumb" />
      ) : (
        <div className="card__thumb thumb-placeholder" title="The file is no longer where it was">
          <Icon name="alert" size={22} />
        </div>
      )}
      <div className="card__body">
        <div className="card__head">
          <h3 className="card__name" title={entry.name}>
            {entry.name}
          </h3>
          <span className="muted small search-hit__folder">{entry.folder}</span>
        </div>
        <p className="card__caption" data-testid="search-caption">
          <Highlighted parts={hit.parts} />
        </p>
        <p className="muted small search-hit__meta">
          {when(entry.createdAt)}
          {entry.model ? ` · ${entry.model}` : ''}
          {image ? '' : ' · file not found'}
        </p>
      </div>
    </article>
  )
}

function HistoryPane({
  api,
  hit,
  onAddToList
}: {
  api: SmolvlmApi
  hit: SearchHitInfo | null
  onAddToList: (image: ImageRef, entry: LibraryEntryInfo) => void
}): React.JSX.Element {
  const [history, setHistory] = useState<{ imageId: string; entries: LibraryEntryInfo[] } | null>(null)
  const imageId = hit?.image?.id ?? null
  useEffect(() => {
    if (imageId === null) return
    let live = true
    api.library.history(imageId).then(
      (entries) => {
        if (live) setHistory({ imageId, entries })
      },
      () => {
        if (live) setHistory({ imageId, entries: [] })
      }
    )
    return () => {
      live = false
    }
  }, [api, imageId])
  if (!hit)
    return (
      <aside className="detail detail--empty" aria-label="Caption history">
        <p className="muted">Select a result to see every caption kept for it.</p>
      </aside>
    )
  const entries =
    imageId !== null && history?.imageId === imageId && history.entries.length > 0
      ? history.entries
      : [hit.entry]
  return (
    <aside className="detail" aria-label={`Caption history: ${hit.entry.name}`} data-testid="caption-history">
      <div className="detail__preview">
        {hit.image ? (
          <Thumb api={api} id={hit.image.id} name={hit.entry.name} className="detail__image" />
        ) : (
          <p className="muted">
            {hit.entry.name} is no longer in {hit.entry.folder || 'its folder'}.
          </p>
        )}
      </div>
      <div className="detail__title">
        <h2 title={hit.entry.name}>{hit.entry.name}</h2>
      </div>
      <p className="muted small detail__meta">
        in {hit.entry.folder || 'a pasted image'} · {entries.length} caption{entries.length === 1 ? '' : 's'}{' '}
        kept
      </p>
      {hit.image ? (
        <div className="detail__actions">
          <button
            type="button"
            className="button"
            onClick={() => onAddToList(hit.image!, entries[0] ?? hit.entry)}
          >
            <Icon name="image" /> Add to the list
          </button>
        </div>
      ) : null}
      <ol className="history" aria-label="Kept captions, newest first">
        {entries.map((entry) => (
          <li key={entry.id} className="history__entry" data-testid="history-entry">
            <p className="muted small">
              {when(entry.createdAt)} · {entry.model ?? 'unknown model'}
              {entry.variant ? ` (${entry.variant}` : ''}
              {entry.variant && entry.device ? `, ${entry.device})` : entry.variant ? ')' : ''}
              {entry.source === 'cli' ? ' · command line' : ''}
            </p>
            <p className="history__prompt muted small">“{entry.prompt}”</p>
            <p className="detail__caption">{entry.text.trim()}</p>
            {writtenTo(entry) ? <p className="muted small">Saved to {writtenTo(entry)}</p> : null}
          </li>
        ))}
      </ol>
    </aside>
  )
}

export function SearchResults({ api, search, onAddToList }: SearchResultsProps): React.JSX.Element {
  const [selectedId, setSelectedId] = useState<number | null>(null)
  if (search.status === 'idle') return <></>
  const result = search.status === 'done' ? search.result : null
  const hits = result?.hits ?? []
  const selected = hits.find((h) => h.entry.id === selectedId) ?? null
  let summary: string
  if (search.status === 'searching') summary = `Searching for “${search.query}”…`
  else if (search.status === 'failed') summary = search.message
  else if (!result?.available) summary = result?.reason ?? 'The caption library is not available.'
  else if (hits.length === 0) summary = `No kept caption has “${search.query}”.`
  else
    summary = `${result.more ? 'More than ' : ''}${hits.length} image${hits.length === 1 && !result.more ? '' : 's'} with “${search.query}”`
  return (
    <>
      <section className="card-list search-results" aria-label="Search results" data-testid="search-results">
        <p className="search-results__summary" role="status">
          {summary}
        </p>
        <div className="search-results__list" role="list">
          {hits.map((hit) => (
            <div role="listitem" key={hit.entry.id}>
              <HitCard
                api={api}
                hit={hit}
                selected={hit.entry.id === selectedId}
                onSelect={() => setSelectedId(hit.entry.id)}
              />
            </div>
          ))}
        </div>
      </section>
      <HistoryPane api={api} hit={selected} onAddToList={onAddToList} />
    </>
  )
}

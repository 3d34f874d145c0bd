/**
 * The selected image in full: a larger preview, the whole caption (readable however long), what made it (prompt,
 * tokens, speed), the card's actions, and follow-up questions.
 */
import type { RefObject } from 'react'
import type { SmolvlmApi } from '../../../shared/api.ts'
import type { KeywordOptions } from '../../../shared/keywords.ts'
import { formatBytes, formatDuration, formatRate } from '../state/format.ts'
import type { QueueItem } from '../state/queue.ts'
import { displayText } from '../state/queue.ts'
import { itemKeywords } from '../state/keywords.ts'
import { ExistingMetadata } from './ExistingMetadata.tsx'
import { FollowUpChat } from './FollowUpChat.tsx'
import { Icon } from './Icon.tsx'
import { KeywordChips } from './KeywordChips.tsx'
import { stageLabel, StatusBadge } from './StatusBadge.tsx'
import { Thumb } from './Thumb.tsx'

export interface DetailPaneProps {
  readonly api: SmolvlmApi
  readonly item: QueueItem | null
  readonly modelLoading: boolean
  readonly onCopy: (id: string) => void
  readonly onRegenerate: (id: string) => void
  readonly onStop: (id: string) => void
  readonly onAsk: (id: string, question: string) => void
  readonly onStopFollowUp: (id: string) => void
  readonly questionRef: RefObject<HTMLTextAreaElement | null>
  /** Bumped when the app wrote metadata (the pane reads the image's metadata again). */
  readonly metadataVersion?: number
  readonly keywordOptions: KeywordOptions
}

function Caption({ item, modelLoading }: { item: QueueItem; modelLoading: boolean }): React.JSX.Element {
  const text = displayText(item.text)
  if (item.status === 'error')
    return (
      <div className="detail__error" role="note">
        <Icon name="alert" />
        <div>
          <p>{item.error?.message ?? 'This image failed.'}</p>
          {item.error ? <p className="muted small">Error code: {item.error.code}</p> : null}
        </div>
      </div>
    )
  if (item.status === 'describing' && text === '')
    return <p className="detail__caption detail__caption--pending">{stageLabel(item.stage, modelLoading)}</p>
  if (text === '')
    return (
      <p className="detail__caption detail__caption--pending">
        {item.status === 'queued' ? 'Queued: the caption will appear here.' : 'No caption yet.'}
      </p>
    )
  return (
    <p
      className={`detail__caption${item.status === 'describing' ? ' detail__caption--streaming' : ''}`}
      data-testid="detail-caption"
    >
      {text}
    </p>
  )
}

/** Keyword mode: the keywords above the model's own answer, which stays as it was written. */
function Keywords({ item, options }: { item: QueueItem; options: KeywordOptions }): React.JSX.Element | null {
  const keywords = displayText(item.text) === '' ? null : itemKeywords(item, options)
  if (!keywords) return null
  return (
    <section className="detail__keywords" aria-label="Keywords">
      {keywords.length > 0 ? (
        <KeywordChips keywords={keywords} imageName={item.image.name} />
      ) : (
        <p className="muted small">No keywords in this answer.</p>
      )}
      <p className="muted small">The model&apos;s answer:</p>
    </section>
  )
}

export function DetailPane(props: DetailPaneProps): React.JSX.Element {
  const { api, item, modelLoading } = props
  if (!item)
    return (
      <aside className="detail detail--empty" aria-label="Selected image">
        <p className="muted">Select an image to see its caption in full and ask about it.</p>
      </aside>
    )
  const id = item.image.id
  const stats = item.stats
  const busy = item.status === 'describing' || item.status === 'queued'
  return (
    <aside className="detail" aria-label={`Selected image: ${item.image.name}`} data-testid="detail">
      <div className="detail__preview">
        <Thumb api={api} id={id} name={item.image.name} className="detail__image" />
      </div>
      <div className="detail__title">
        <h2 title={item.image.name}>{item.image.name}</h2>
        <StatusBadge status={item.status} />
      </div>
      <p className="muted small detail__meta">
        {item.image.bytes !== undefined ? formatBytes(item.image.bytes) : null}
        {item.image.hasPath ? null : ' · pasted (no folder for a caption file)'}
        {item.preview
          ? ` · described from the embedded preview, ${item.preview.width}×${item.preview.height}`
          : null}
      </p>
      <Keywords item={item} options={props.keywordOptions} />
      <Caption item={item} modelLoading={modelLoading} />
      <div className="detail__actions">
        <button
          type="button"
          className="button"
          onClick={() => props.onCopy(id)}
          disabled={displayText(item.text) === '' || item.status === 'describing'}
        >
          <Icon name="copy" /> Copy
        </button>
        {busy ? (
          <button type="button" className="button" onClick={() => props.onStop(id)}>
            <Icon name="stop" /> Stop
          </button>
        ) : (
          <button type="button" className="button" onClick={() => props.onRegenerate(id)}>
            <Icon name={item.status === 'idle' ? 'play' : 'redo'} />
            {item.status === 'idle' ? 'Describe' : 'Describe again'}
          </button>
        )}
      </div>
      {item.prompt !== null || stats ? (
        <dl className="detail__facts">
          {item.prompt !== null ? (
            <>
              <dt>Prompt</dt>
              <dd>{item.prompt}</dd>
            </>
          ) : null}
          {stats ? (
            <>
              <dt>Tokens</dt>
              <dd>
                {stats.generatedTokens} written, {stats.inputTokens} read ({stats.tiles}{' '}
                {stats.tiles === 1 ? 'tile' : 'tiles'})
              </dd>
              <dt>Speed</dt>
              <dd>
                {formatRate(stats.tokensPerSecond)} tokens/s · first token after{' '}
                {formatDuration(stats.ttftMs)} · {formatDuration(stats.totalMs)} in all
              </dd>
            </>
          ) : null}
        </dl>
      ) : null}
      {item.image.hasPath ? (
        <ExistingMetadata api={api} imageId={id} version={props.metadataVersion ?? 0} />
      ) : null}
      <FollowUpChat
        key={id}
        imageName={item.image.name}
        followUps={item.followUps}
        onAsk={(question) => props.onAsk(id, question)}
        onStop={() => props.onStopFollowUp(id)}
        inputRef={props.questionRef}
      />
    </aside>
  )
}

/**
 * One image in the list: thumbnail, name, status, the caption (streaming in while it is written) and the
 * card's actions. Cards have one fixed height, so text arriving never moves the list; while a caption streams
 * the card shows its newest lines, and the detail pane shows all of it.
 */
import { memo } from 'react'
import type { SmolvlmApi } from '../../../shared/api.ts'
import type { KeywordOptions } from '../../../shared/keywords.ts'
import { itemKeywords } from '../state/keywords.ts'
import type { QueueItem } from '../state/queue.ts'
import { displayText } from '../state/queue.ts'
import { Icon } from './Icon.tsx'
import type { IconName } from './Icon.tsx'
import { KeywordChips } from './KeywordChips.tsx'
import { stageLabel, StatusBadge } from './StatusBadge.tsx'
import { Thumb } from './Thumb.tsx'

export interface CardActions {
  select(id: string): void
  copy(id: string): void
  regenerate(id: string): void
  stop(id: string): void
  remove(id: string): void
}

export interface ImageCardProps {
  readonly api: SmolvlmApi
  readonly item: QueueItem
  readonly selected: boolean
  readonly modelLoading: boolean
  readonly actions: CardActions
  /** Keyword mode's options: a caption that answers the keyword prompt shows as chips. */
  readonly keywordOptions: KeywordOptions
}

function CaptionArea({
  item,
  modelLoading,
  keywordOptions
}: {
  item: QueueItem
  modelLoading: boolean
  keywordOptions: KeywordOptions
}): React.JSX.Element {
  const text = displayText(item.text)
  const keywords = text === '' ? null : itemKeywords(item, keywordOptions)
  // An answer with no keyword in it shows as text, so the card never looks empty while it has a caption.
  if (keywords && keywords.length > 0)
    return <KeywordChips keywords={keywords} imageName={item.image.name} className="card__keywords" />
  if (item.status === 'error')
    return <p className="card__caption card__caption--error">{item.error?.message ?? 'This image failed.'}</p>
  if (item.status === 'describing')
    return (
      <p className="card__caption card__caption--streaming" data-testid="caption">
        {text === '' ? (
          <span className="card__stage">{stageLabel(item.stage, modelLoading)}</span>
        ) : (
          <span className="card__tail">{text}</span>
        )}
      </p>
    )
  if (text === '')
    return (
      <p className="card__caption card__caption--empty">
        {item.status === 'queued'
          ? 'Waiting its turn.'
          : item.status === 'stopped'
            ? 'Stopped before any text.'
            : 'No caption yet.'}
      </p>
    )
  return (
    <p
      className={`card__caption${item.status === 'queued' ? ' card__caption--stale' : ''}`}
      data-testid="caption"
    >
      {text}
    </p>
  )
}

interface CardActionProps {
  readonly icon: IconName
  readonly label: string
  readonly title: string
  readonly tab: number
  readonly disabled?: boolean
  readonly quiet?: boolean
  readonly onClick: () => void
}

/** An icon button on a card; the click stays with the button (the card itself selects on click). */
function CardAction({
  icon,
  label,
  title,
  tab,
  disabled,
  quiet,
  onClick
}: CardActionProps): React.JSX.Element {
  return (
    <button
      type="button"
      className={`icon-button${quiet ? ' icon-button--quiet' : ''}`}
      tabIndex={tab}
      aria-label={label}
      title={title}
      disabled={disabled}
      onClick={(event) => {
        event.stopPropagation()
        onClick()
      }}
    >
      <Icon name={icon} />
    </button>
  )
}

function ImageCardView({
  api,
  item,
  selected,
  modelLoading,
  actions,
  keywordOptions
}: ImageCardProps): React.JSX.Element {
  const id = item.image.id
  const name = item.image.name
  const running = item.status === 'describing' || item.status === 'queued'
  const canCopy = displayText(item.text) !== '' && item.status !== 'describing'
  // Only the selected card is in the Tab order (roving focus); arrows move between cards.
  const tab = selected ? 0 : -1
  return (
    <article
      className={`card card--${item.status}${selected ? ' card--selected' : ''}`}
      id={`card-${id}`}
      data-image-id={id}
      data-status={item.status}
      tabIndex={tab}
      aria-label={`${name}, ${item.status === 'idle' ? 'not described' : item.status}`}
      aria-current={selected ? 'true' : undefined}
      onClick={() => actions.select(id)}
      onFocus={(event) => {
        if (event.target === event.currentTarget) actions.select(id)
      }}
    >
      <Thumb api={api} id={id} name={name} className="card__thumb" />
      <div className="card__body">
        <div className="card__head">
          <h3 className="card__name" title={name}>
            {name}
          </h3>
          {item.preview && (
            <span
              className="card__note"
              title={`Described from the RAW file's embedded JPEG preview, ${item.preview.width}×${item.preview.height}`}
            >
              preview {item.preview.width}×{item.preview.height}
            </span>
          )}
          <StatusBadge status={item.status} />
        </div>
        <CaptionArea item={item} modelLoading={modelLoading} keywordOptions={keywordOptions} />
      </div>
      <div className="card__actions">
        {running ? (
          <CardAction
            icon="stop"
            label={`Stop ${name}`}
            title="Stop (Esc)"
            tab={tab}
            onClick={() => actions.stop(id)}
          />
        ) : (
          <CardAction
            icon={item.status === 'idle' ? 'play' : 'redo'}
            label={`${item.status === 'idle' ? 'Describe' : 'Describe again'} ${name}`}
            title={item.status === 'idle' ? 'Describe (R)' : 'Describe again (R)'}
            tab={tab}
            onClick={() => actions.regenerate(id)}
          />
        )}
        <CardAction
          icon="copy"
          label={`Copy the caption of ${name}`}
          title="Copy caption (C)"
          tab={tab}
          disabled={!canCopy}
          onClick={() => actions.copy(id)}
        />
        <CardAction
          icon="close"
          label={`Remove ${name} from the list`}
          title="Remove from the list (Delete)"
          tab={tab}
          quiet
          onClick={() => actions.remove(id)}
        />
      </div>
    </article>
  )
}

export const ImageCard = memo(ImageCardView)

/**
 * One model of the catalog: what it is good for (its summary), which precision to download (the device's
 * recommendation preselected, each choice explained), and its download with pause, resume and cancel.
 */
import { useId, useState } from 'react'
import type {
  CatalogEntryInfo,
  InstalledModelInfo,
  StoreProgressEvent,
  VariantChoice
} from '../../../shared/api.ts'
import type { Variant } from '../../../shared/model.ts'
import { formatBytes } from '../state/format.ts'
import { choiceLabel, recommendedVariant } from '../state/models.ts'
import { isGpuDevice, VARIANT_NOTES } from '../state/variant-notes.ts'
import { DownloadProgress } from './DownloadProgress.tsx'
import { Icon } from './Icon.tsx'

export interface CatalogEntryCardProps {
  readonly entry: CatalogEntryInfo
  readonly device: string
  readonly installed: InstalledModelInfo | undefined
  readonly download: StoreProgressEvent | undefined
  /** Bytes of an interrupted download on disk (resume or discard it). */
  readonly partialBytes: number | null
  readonly highlighted?: boolean
  readonly onPull: (ref: string, variant: VariantChoice) => void
  readonly onPause: (ref: string) => void
  readonly onCancel: (ref: string) => void
}

export function CatalogEntryCard(props: CatalogEntryCardProps): React.JSX.Element {
  const { entry, download, installed } = props
  const selectId = useId()
  const recommended = recommendedVariant(entry, props.device)
  const [choice, setChoice] = useState<VariantChoice>(recommended)
  const variant: Variant | null = typeof choice === 'string' ? choice : null
  const running = download?.state === 'running'
  const paused = download?.state === 'paused' || (!running && props.partialBytes !== null)
  const hasChoice = installed !== undefined && variant !== null && installed.variants.includes(variant)
  const cpuPick = entry.recommended.cpu
  const size = choice === cpuPick && entry.downloadBytes !== null ? formatBytes(entry.downloadBytes) : null
  const other = isGpuDevice(props.device) ? entry.recommended.cpu : entry.recommended.gpu
  return (
    <article
      className={`model-card${props.highlighted ? ' model-card--highlighted' : ''}`}
      aria-label={entry.title}
      data-model-id={entry.id}
    >
      <header className="model-card__head">
        <h3>{entry.title}</h3>
        <span className="model-card__params">{entry.parameters} parameters</span>
        {props.highlighted ? <span className="pill pill--accent">Recommended to start</span> : null}
        {installed ? (
          <span className="pill pill--ok">
            <Icon name="check" size={12} /> Downloaded (
            {installed.variants.join(', ') || 'no complete precision'})
          </span>
        ) : null}
      </header>
      <p className="model-card__summary">{entry.summary}</p>
      <div className="model-card__choice">
        <div className="field">
          <label htmlFor={selectId}>Precision</label>
          <select
            id={selectId}
            className="input"
            value={typeof choice === 'string' ? choice : ''}
            disabled={running}
            onChange={(event) => setChoice(event.target.value as Variant)}
          >
            {typeof choice !== 'string' ? (
              <option value="">
                {choiceLabel(choice)}
                {choice === recommended ? ' — recommended' : ''}
              </option>
            ) : null}
            {entry.variants.map((v) => (
              <option key={v} value={v}>
                {v}
                {v === recommended ? ' — recommended' : ''}
              </option>
            ))}
          </select>
        </div>
        <p className="field__hint model-card__note">
          {variant ? VARIANT_NOTES[variant] : null}{' '}
          {choiceLabel(recommended) !== choiceLabel(other)
            ? `Recommended: ${choiceLabel(entry.recommended.cpu)} on a CPU, ${choiceLabel(entry.recommended.gpu)} with a GPU.`
            : null}
          {choice === entry.recommended.cpu ? ` ${entry.recommendedWhy}` : null}
          {size ? ` Download: about ${size}.` : ''}
        </p>
      </div>
      {download?.state === 'error' && download.error ? (
        <p className="model-card__error" role="alert">
          <Icon name="alert" size={16} /> {download.error.message}
        </p>
      ) : null}
      {running && download ? <DownloadProgress event={download} /> : null}
      {paused && !running ? (
        <p className="small muted">
          Download paused
          {props.partialBytes !== null ? ` with ${formatBytes(props.partialBytes)} on disk` : ''}: resume to
          continue where it stopped.
        </p>
      ) : null}
      <div className="model-card__actions">
        {running ? (
          <>
            <button type="button" className="button" onClick={() => props.onPause(entry.id)}>
              <Icon name="pause" /> Pause
            </button>
            <button type="button" className="button" onClick={() => props.onCancel(entry.id)}>
              <Icon name="stop" /> Cancel
            </button>
          </>
        ) : (
          <>
            <button
              type="button"
              className={`button${installed ? '' : ' button--primary'}`}
              onClick={() => props.onPull(entry.id, choice)}
              disabled={hasChoice}
            >
              <Icon name={paused ? 'play' : 'download'} />
              {hasChoice ? 'Downloaded' : paused ? 'Resume download' : `Download ${choiceLabel(choice)}`}
            </button>
            {paused ? (
              <button type="button" className="button" onClick={() => props.onCancel(entry.id)}>
                <Icon name="trash" /> Discard
              </button>
            ) : null}
          </>
        )}
      </div>
    </article>
  )
}

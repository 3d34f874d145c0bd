/** Progress of the run over the queue: done / total, images per minute, time left; pause, resume, cancel. */
import { useNow } from '../hooks/useNow.ts'
import { formatDuration, formatRate, plural } from '../state/format.ts'
import type { Batch } from '../state/queue.ts'
import { batchProgress } from '../state/queue.ts'
import { Icon } from './Icon.tsx'

export interface BatchBarProps {
  readonly batch: Batch
  readonly paused: boolean
  readonly onPause: () => void
  readonly onResume: () => void
  readonly onCancel: () => void
  readonly onDismiss: () => void
}

export function BatchBar({
  batch,
  paused,
  onPause,
  onResume,
  onCancel,
  onDismiss
}: BatchBarProps): React.JSX.Element {
  const now = useNow(batch.endedAt === null && !paused)
  const p = batchProgress(batch, now)
  const value = p.total === 0 ? 0 : p.finished / p.total
  const problems = [
    p.failed > 0 ? `${p.failed} failed` : null,
    p.stopped > 0 ? `${p.stopped} stopped` : null
  ].filter(Boolean)
  const summary = p.ended
    ? `Finished ${plural(p.finished, 'image')} in ${formatDuration(p.elapsedMs)}`
    : `${p.finished.toLocaleString('en-US')} of ${plural(p.total, 'image')} described`
  return (
    <section
      className={`batch-bar${p.ended ? ' batch-bar--ended' : ''}${paused && !p.ended ? ' batch-bar--paused' : ''}`}
      aria-label="Queue progress"
      data-testid="batch-bar"
    >
      <progress className="batch-bar__progress" max={1} value={value} aria-label="Queue progress">
        {Math.round(value * 100)}%
      </progress>
      <p className="batch-bar__text" data-testid="batch-summary">
        <strong>{summary}</strong>
        {problems.length > 0 ? <span className="batch-bar__problems"> · {problems.join(', ')}</span> : null}
        {p.perMinute !== null ? <span> · {formatRate(p.perMinute)} images/min</span> : null}
        {!p.ended && paused ? <span> · paused</span> : null}
        {!p.ended && !paused && p.etaMs !== null ? (
          <span> · about {formatDuration(p.etaMs)} left</span>
        ) : null}
      </p>
      <div className="batch-bar__actions">
        {p.ended ? (
          <button
            type="button"
            className="icon-button"
            onClick={onDismiss}
            aria-label="Hide the queue summary"
          >
            <Icon name="close" />
          </button>
        ) : (
          <>
            {paused ? (
              <button type="button" className="button" onClick={onResume} title="Resume (P)">
                <Icon name="play" /> Resume
              </button>
            ) : (
              <button type="button" className="button" onClick={onPause} title="Pause after this image (P)">
                <Icon name="pause" /> Pause
              </button>
            )}
            <button type="button" className="button" onClick={onCancel} title="Cancel the queue (Shift+Esc)">
              <Icon name="stop" /> Cancel
            </button>
          </>
        )}
      </div>
    </section>
  )
}

/** A model download in progress: the whole (bytes, speed, time left) and each file with its own bar. */
import type { StoreProgressEvent } from '../../../shared/api.ts'
import { formatBytes, formatDuration, formatPercent } from '../state/format.ts'

const PHASES: Record<string, string> = {
  resolving: 'Asking the hub what to download…',
  downloading: 'Downloading',
  verifying: 'Checking the files…',
  done: 'Finishing…'
}

export function DownloadProgress({ event }: { event: StoreProgressEvent }): React.JSX.Element | null {
  const progress = event.progress
  if (!progress) return null
  const total = progress.total ?? 0
  return (
    <div className="download" data-testid="download-progress">
      <div className="download__summary">
        <progress
          max={total > 0 ? total : 1}
          value={total > 0 ? Math.min(progress.bytes, total) : 0}
          aria-label="Download progress"
        />
        <p className="small">
          <strong>{PHASES[progress.phase] ?? progress.phase}</strong>
          {total > 0
            ? ` · ${formatBytes(progress.bytes)} of ${formatBytes(total)} (${formatPercent(progress.bytes, total)})`
            : ''}
          {progress.bytesPerSecond ? ` · ${formatBytes(progress.bytesPerSecond)}/s` : ''}
          {progress.etaSeconds !== null && progress.phase === 'downloading'
            ? ` · about ${formatDuration(progress.etaSeconds * 1000)} left`
            : ''}
        </p>
        {progress.notice ? <p className="small field__warn">{progress.notice}</p> : null}
      </div>
      {progress.files.length > 0 ? (
        <ul className="download__files" aria-label="Files">
          {progress.files.map((file) => (
            <li key={file.path} className={`download__file download__file--${file.state}`}>
              <span className="download__path" title={file.path}>
                {file.path}
              </span>
              <progress
                max={file.total ?? 1}
                value={file.total ? Math.min(file.bytes, file.total) : file.state === 'done' ? 1 : 0}
                aria-label={`${file.path} progress`}
              />
              <span className="download__state small">
                {file.state === 'downloading' && file.total
                  ? formatPercent(file.bytes, file.total)
                  : file.state}
              </span>
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  )
}

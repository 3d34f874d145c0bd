/** Shown while a folder is watched: which one, what has arrived, and Stop watching. */
import type { WatchStatus } from '../../../shared/api.ts'
import { plural } from '../state/format.ts'
import { Icon } from './Icon.tsx'

export function WatchBar({ status, onStop }: { status: WatchStatus; onStop: () => void }): React.JSX.Element {
  return (
    <section className="batch-bar watch-bar" aria-label="Watched folder" data-testid="watch-bar">
      <p className="batch-bar__text" data-testid="watch-summary">
        <Icon name="eye" size={16} /> <strong>Watching {status.name}</strong>
        <span> · {plural(status.added, 'image')} added</span>
        {status.waiting > 0 ? <span> · {status.waiting.toLocaleString('en-US')} waiting</span> : null}
        <span className="muted">
          {' '}
          · new images are described as they arrive
          {status.writeCaptionFiles ? ', with a caption file beside each' : ''}
        </span>
        {status.problem ? <span className="batch-bar__problems"> · {status.problem}</span> : null}
      </p>
      <div className="batch-bar__actions">
        <button type="button" className="button" onClick={onStop}>
          <Icon name="stop" /> Stop watching
        </button>
      </div>
    </section>
  )
}

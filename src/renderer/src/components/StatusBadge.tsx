import type { ItemStatus, Stage } from '../state/queue.ts'

const LABELS: Record<ItemStatus, string> = {
  idle: 'Not described',
  queued: 'Queued',
  describing: 'Describing',
  done: 'Done',
  stopped: 'Stopped',
  error: 'Error'
}

/** What a running job is doing, in words (stages arrive in this order from the engine). */
export function stageLabel(stage: Stage | null, modelLoading: boolean): string {
  switch (stage) {
    case 'waiting':
      return modelLoading ? 'Loading the model…' : 'Waiting for the model…'
    case 'started':
      return 'Preparing the image…'
    case 'preprocess':
      return 'Looking at the image…'
    case 'vision':
      return 'Reading the prompt…'
    case 'prefill':
      return 'Writing…'
    case 'generating':
    case null:
      return 'Writing…'
  }
}

export function statusLabel(status: ItemStatus): string {
  return LABELS[status]
}

export function StatusBadge({ status }: { status: ItemStatus }): React.JSX.Element {
  return (
    <span className={`badge badge--${status}`} data-status={status}>
      <span className="badge__dot" aria-hidden="true" />
      {LABELS[status]}
    </span>
  )
}

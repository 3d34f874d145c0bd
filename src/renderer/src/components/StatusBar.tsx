/**
 * The bottom line: which model, on which execution provider (a fallback to the CPU is shown, with the reason),
 * how fast the last caption was written and how much memory the worker holds.
 */
import type { ModelStatus } from '../../../shared/api.ts'
import type { DescribeStats } from '../../../shared/jobs.ts'
import { formatRate } from '../state/format.ts'
import { PROVIDER_LABELS } from '../state/variant-notes.ts'
import { Icon } from './Icon.tsx'

export interface StatusBarProps {
  readonly status: ModelStatus | null
  /** The model the settings name (shown until the worker reports its own). */
  readonly modelId: string
  readonly variant: string
  readonly lastStats: DescribeStats | null
  readonly queued: number
  /** The image being described now, if any. */
  readonly running: string | null
  readonly paused: boolean
  readonly onModelClick: () => void
}

export interface ProviderFallback {
  readonly provider: string
  readonly error: string
}

/** Every provider that was tried and failed, across the sessions, once each. */
export function providerFallbacks(status: ModelStatus | null): ProviderFallback[] {
  const seen = new Map<string, string>()
  for (const session of status?.sessions ?? [])
    for (const fallback of session.fallbacks)
      if (!seen.has(fallback.provider)) seen.set(fallback.provider, fallback.error)
  return [...seen].map(([provider, error]) => ({ provider, error }))
}

/**
 * The provider encoding the images when it is not the one writing the text (an automatic choice puts a small
 * model's decoder on the CPU and its vision encoder on WebGPU), else null.
 */
export function imagesProvider(status: ModelStatus | null): string | null {
  const vision = status?.sessions.find((s) => s.session === 'vision_encoder')
  return vision && status?.provider && vision.provider !== status.provider ? vision.provider : null
}

export const SPLIT_PLACEMENT_NOTE =
  'The GPU encodes the images; a model this small writes its text faster on the CPU.'

export function modelStateText(status: ModelStatus | null): string {
  if (!status) return 'connecting…'
  if (status.worker.state === 'restarting') return 'restarting the worker…'
  if (status.worker.state === 'failed')
    return `the worker stopped${status.worker.lastExit ? ` (${status.worker.lastExit})` : ''}`
  switch (status.state) {
    case 'none':
      return 'loads with the first image'
    case 'loading':
      return 'loading…'
    case 'ready':
      return 'ready'
    case 'unloaded':
      return 'unloaded (loads again when needed)'
    case 'error':
      return status.error ? `error: ${status.error.message}` : 'error'
  }
}

export function StatusBar(props: StatusBarProps): React.JSX.Element {
  const { status } = props
  const fallbacks = providerFallbacks(status)
  const provider = status?.provider ? (PROVIDER_LABELS[status.provider] ?? status.provider) : null
  const images = imagesProvider(status)
  const fellBack = fallbacks.length > 0
  const state = status?.state ?? 'none'
  const troubled = state === 'error' || status?.worker.state === 'failed'
  return (
    <footer className="status-bar" aria-label="Status">
      <button
        type="button"
        className={`status-bar__model${troubled ? ' status-bar__model--error' : ''}`}
        onClick={props.onModelClick}
        title="Open the model manager"
        data-testid="status-model"
      >
        <span className={`status-dot status-dot--${troubled ? 'error' : state}`} aria-hidden="true" />
        <span>
          <strong>{status?.modelId ?? props.modelId}</strong> · {status?.variant ?? props.variant} ·{' '}
          {modelStateText(status)}
        </span>
      </button>
      {provider ? (
        <span
          className={`status-bar__item${fellBack ? ' status-bar__item--warn' : ''}`}
          data-testid="status-provider"
          title={
            fallbacks.map((f) => `${PROVIDER_LABELS[f.provider] ?? f.provider}: ${f.error}`).join('\n') ||
            (images ? SPLIT_PLACEMENT_NOTE : undefined)
          }
        >
          {fellBack ? <Icon name="alert" size={14} /> : <Icon name="chip" size={14} />}
          <span>
            Running on <strong>{provider}</strong>
            {images ? (
              <>
                , images on <strong>{PROVIDER_LABELS[images] ?? images}</strong>
              </>
            ) : null}
            {fellBack
              ? ` — fell back from ${fallbacks.map((f) => PROVIDER_LABELS[f.provider] ?? f.provider).join(', ')}: ${fallbacks[0]!.error}`
              : null}
          </span>
        </span>
      ) : null}
      <span className="status-bar__spacer" />
      {props.lastStats ? (
        <span className="status-bar__item" data-testid="status-speed">
          {formatRate(props.lastStats.tokensPerSecond)} tokens/s
        </span>
      ) : null}
      {status?.memoryMb != null ? (
        <span className="status-bar__item" data-testid="status-memory">
          {Math.round(status.memoryMb).toLocaleString('en-US')} MB memory
        </span>
      ) : null}
      <span className="status-bar__item">
        {[
          props.running !== null ? `Describing ${props.running}` : null,
          props.queued > 0 ? `${props.queued.toLocaleString('en-US')} queued` : null,
          props.paused ? 'queue paused' : null
        ]
          .filter(Boolean)
          .join(' · ') || 'Idle'}
      </span>
    </footer>
  )
}

import type {
  ErrorInfo,
  JobEvent,
  ModelSpec,
  Provider,
  Variant,
  WorkerDescribeRequest
} from '../shared/contract.ts'

/** One request's event in a batch (by its index), or that request's error; the others go on. */
export type BatchItem =
  | { readonly index: number; readonly event: Exclude<JobEvent, { type: 'error' }> }
  | { readonly index: number; readonly error: ErrorInfo }

/** The part of a loaded model the runner uses (the engine's SmolVLM, or a stand-in in unit tests). */
export interface DescribableModel {
  readonly info: {
    readonly provider: Provider
    readonly loadMs: number
    readonly sessions: readonly {
      readonly session: 'vision_encoder' | 'embed_tokens' | 'decoder_model_merged'
      readonly variant: Variant
      readonly provider: Provider
      readonly fallbacks: readonly { readonly provider: Provider; readonly error: string }[]
    }[]
  }
  /** Whether describeBatch decodes several images in one run (otherwise it describes them one by one). */
  readonly canBatch?: boolean
  /** Streams started, progress, token… and ends with exactly one done (cancelled: true after an abort). */
  describe(
    request: WorkerDescribeRequest,
    options: { signal: AbortSignal }
  ): AsyncIterable<Exclude<JobEvent, { type: 'error' }>>
  /**
   * One-image requests decoded together: each request's events by index, each ending with its own done or error;
   * signals[i] stops request i alone. Without it the runner describes a batch's images one after another.
   */
  describeBatch?(
    requests: readonly WorkerDescribeRequest[],
    options: { signals: readonly AbortSignal[] }
  ): AsyncIterable<BatchItem>
  dispose(): Promise<void>
}

export type ModelLoader = (spec: ModelSpec) => Promise<DescribableModel>

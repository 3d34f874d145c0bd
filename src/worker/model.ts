import type { JobEvent, ModelSpec, Provider, Variant, WorkerDescribeRequest } from '../shared/contract.ts'

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
  /** Streams started, progress, token… and ends with exactly one done (cancelled: true after an abort). */
  describe(
    request: WorkerDescribeRequest,
    options: { signal: AbortSignal }
  ): AsyncIterable<Exclude<JobEvent, { type: 'error' }>>
  dispose(): Promise<void>
}

export type ModelLoader = (spec: ModelSpec) => Promise<DescribableModel>

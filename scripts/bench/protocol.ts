/** Messages between the benchmark orchestrator and its runner processes (one per implementation). */

export interface BenchCase {
  readonly name: string
  readonly image: string
  readonly width: number
  readonly height: number
  /** false = fast mode: one global tile. */
  readonly split: boolean
}

export interface RunnerInit {
  readonly type: 'init'
  readonly modelDir: string
  readonly variant: string
  readonly threads?: number
}

export interface RunnerRun {
  readonly type: 'run'
  readonly benchCase: BenchCase
  readonly prompt: string
  readonly newTokens: number
}

/** A folder of images described one after another (batchSize 1) or in batches (ours only). */
export interface RunnerFolder {
  readonly type: 'folder'
  readonly images: readonly string[]
  readonly split: boolean
  readonly prompt: string
  readonly newTokens: number
  readonly batchSize: number
}

export interface FolderMetrics {
  readonly images: number
  readonly totalMs: number
  readonly imagesPerMinute: number
  readonly peakRssMb: number
}

export type RunnerRequest = RunnerInit | RunnerRun | RunnerFolder | { readonly type: 'exit' }

/** One measured caption. Times in ms; null where the implementation does not expose the stage. */
export interface RunMetrics {
  readonly tiles: number
  readonly promptTokens: number
  readonly generatedTokens: number
  readonly preprocessMs: number
  readonly visionMs: number | null
  readonly prefillMs: number | null
  readonly ttftMs: number
  readonly decodeTokensPerSecond: number
  readonly totalMs: number
  readonly ortMs: number | null
  /** Resident set size after the run, and the process's peak so far (VmHWM). */
  readonly rssMb: number
  readonly peakRssMb: number
}

export type RunnerReply =
  | { readonly type: 'ready'; readonly loadMs: number; readonly peakRssMb: number; readonly provider: string }
  | { readonly type: 'result'; readonly metrics: RunMetrics }
  | { readonly type: 'folder-result'; readonly metrics: FolderMetrics }
  | { readonly type: 'error'; readonly message: string }

import type { SessionName, Variant, VariantChoice } from '../engine/model-files.ts'
import type { CatalogEntry } from './catalog.ts'

export type ModelSource = 'hub' | 'import-copy' | 'import-in-place'

/**
 * What a file's recorded sha256 was checked against when it was installed: the hub's X-Linked-Etag, the
 * hub's git blob id (ETag of a small file), the catalog's manifest, the blob name of a Hugging Face cache
 * snapshot, or nothing (a folder imported from elsewhere: the hash only detects later damage).
 */
export type VerificationBasis = 'hub-sha256' | 'hub-git-sha1' | 'manifest' | 'hf-cache' | 'size-only' | 'none'

export interface InstalledFile {
  readonly path: string
  readonly size: number
  readonly sha256?: string
  readonly basis?: VerificationBasis
}

export interface InstalledModel {
  /** The catalog id when the repository is in the catalog, else owner/name. */
  readonly id: string
  readonly repo: string
  /** The commit sha when the hub named one; else the requested revision, or local-<hash> for an import. */
  readonly revision: string
  /** The folder to load (laid out like the hub repository). */
  readonly dir: string
  /**
   * Precisions the folder can load, undamaged: all three ONNX files of it, or its decoder and embeddings with
   * another vision encoder in its place (engine/model-files.ts sessionVariantsFor). Empty: the model cannot be used.
   */
  readonly variants: Variant[]
  /** Per session, the precisions present and undamaged (for a mixed choice such as q4 decoder + fp32 vision). */
  readonly sessionVariants: Record<SessionName, Variant[]>
  readonly sizeBytes: number
  readonly source: ModelSource
  readonly files: InstalledFile[]
  readonly installedAt: string
  /** Human sentences: missing or damaged files found without hashing (sizes) or by the last verify. */
  readonly problems: string[]
}

export type PullFileState = 'pending' | 'downloading' | 'verifying' | 'done' | 'skipped' | 'failed'

/** Something worth telling the user as it happens (a lost connection, a resumed file). */
export type PullNotice =
  | { readonly kind: 'resume'; readonly file: string; readonly offset: number }
  | {
      readonly kind: 'retry'
      readonly file: string
      readonly attempt: number
      readonly delayMs: number
      readonly reason: string
      /** Bytes of the file on disk, from where the next attempt continues. */
      readonly offset?: number
    }
  | { readonly kind: 'restart'; readonly file: string; readonly reason: string }

export interface PullProgress {
  readonly phase: 'resolving' | 'downloading' | 'verifying' | 'done'
  /** The file being transferred or checked now. */
  readonly file?: string
  /** Bytes on disk for the planned files, including those from an earlier, interrupted run. */
  readonly bytes: number
  /** Sum of the planned files' sizes (0 until the hub has answered). */
  readonly total: number
  /** Over the last few seconds of this run. */
  readonly bytesPerSecond: number
  readonly etaSeconds: number | null
  readonly files: { path: string; bytes: number; total: number; state: PullFileState }[]
  /** The repository and commit being pulled (known after 'resolving'). */
  readonly repo?: string
  readonly revision?: string
  /** Set on the event that reports a notable moment; absent on ordinary progress ticks. */
  readonly notice?: PullNotice
}

export interface PullOptions {
  readonly variant?: VariantChoice
  readonly revision?: string
  /** Aborting pauses: .part files stay and calling pull again resumes them. */
  readonly signal?: AbortSignal
  readonly onProgress?: (progress: PullProgress) => void
}

export type VerifyStatus = 'ok' | 'missing' | 'size-mismatch' | 'sha-mismatch' | 'unverified'

export interface VerifyReport {
  readonly ok: boolean
  readonly dir: string
  /** The installed model's id, when the folder belongs to the store. */
  readonly id?: string
  readonly files: { path: string; status: VerifyStatus; expected?: string; actual?: string }[]
}

/** A download that was paused or interrupted; pull(id) resumes it, discardPartial(id) deletes it. */
export interface PartialDownload {
  readonly id: string
  readonly repo: string
  readonly revision: string
  readonly dir: string
  readonly choice: VariantChoice
  /** Bytes already on disk (finished files and .part files). */
  readonly bytes: number
  /** Planned total, when the hub told all sizes. */
  readonly total: number | undefined
  readonly startedAt: string
}

export interface DiskUsage {
  readonly bytes: number
  readonly models: { id: string; bytes: number; revision: string; dir: string; complete: boolean }[]
}

export interface StoreOptions {
  /** The store's root folder; models live under <root>/models. */
  readonly root: string
  /** Default: process.env.SMOLVLM_HUB_URL ?? 'https://huggingface.co'. */
  readonly hubUrl?: string
  /** Replaces the built-in catalog (tests; a build with other models). */
  readonly catalog?: readonly CatalogEntry[]
  /** Retries of one file after transient failures (lost connection, 5xx, 429). */
  readonly retry?: { readonly attempts?: number; readonly baseDelayMs?: number; readonly maxDelayMs?: number }
  /** A connection that sends nothing for this long is treated as dropped. Default 30 s. */
  readonly idleTimeoutMs?: number
  /** Free bytes for a folder; default statfs. Tests inject a small number. */
  readonly freeDiskBytes?: (dir: string) => Promise<number>
  /** Space to leave free after a download. Default 64 MiB. */
  readonly diskReserveBytes?: number
  /** Minimum time between byte-count progress events. Default 200 ms. */
  readonly progressIntervalMs?: number
}

/** The model store: catalog, hub downloads, imports, integrity checks. Used by the worker, the UI and the CLI. */
export {
  CATALOG,
  DEFAULT_CATALOG_ID,
  DEFAULT_VARIANT_CHOICE,
  catalogEntryForRepo,
  choiceWarnings,
  estimateDownloadBytes,
  isCatalogId,
  recommendedChoice
} from './catalog.ts'
export type { CatalogEntry, CatalogId, KnownFile } from './catalog.ts'
export { defaultStoreRoot, describeChoice, isRepoId, RECORD_FILE } from './layout.ts'
export { formatBytes, formatDuration } from './progress.ts'
export { ModelStore } from './store.ts'
export type {
  DiskUsage,
  InstalledFile,
  InstalledModel,
  ModelSource,
  PartialDownload,
  PullFileState,
  PullNotice,
  PullOptions,
  PullProgress,
  StoreOptions,
  VerificationBasis,
  VerifyReport,
  VerifyStatus
} from './types.ts'

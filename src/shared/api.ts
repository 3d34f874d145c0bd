/**
 * `window.smolvlm`: everything the page can ask of the app. The Electron preload implements it over IPC and
 * per-job MessagePorts; the browser test bridge implements it over HTTP and Server-Sent Events. The renderer
 * imports these types and nothing else from outside src/renderer.
 *
 * Conventions: every call returns a Promise except describe (which returns its job at once) and the listener
 * registrations (which return their unsubscribe function). A rejected call carries a human sentence; outcomes
 * the page branches on (job errors, pull results, sidecar reports) come back as typed values with codes.
 */
import type { ImageRef, Thumbnail } from './images.ts'
import type { DescribeOptions, DescribeRequest, JobEvent, TerminalEvent } from './jobs.ts'
import type { ModelStatus, Variant, VariantChoice } from './model.ts'
import type {
  ImageMetadataInfo,
  LibraryEntryInfo,
  LibrarySearchResult,
  MetadataReportInfo,
  SearchHitInfo,
  WriteMetadataCall
} from './library.ts'
import type { ExportFormat, ExportRow, SidecarItem, SidecarPolicy, SidecarReport } from './results.ts'
import type { Settings, SettingsPatch } from './settings.ts'
import type {
  CatalogEntryInfo,
  DiskUsageInfo,
  ImportMode,
  InstalledModelInfo,
  PullOutcome,
  StoreProgressEvent,
  VerifyReportInfo
} from './store.ts'
import type { WatchStatus } from './watch.ts'

export type Unsubscribe = () => void

/** A running describe job. Its events go to the callback given to describe, ending with one done or error. */
export interface DescribeJob {
  readonly jobId: string
  /** Removes the job from the queue or stops it; it then ends with a done event with cancelled: true. */
  cancel(): void
  /** Settles with the job's last event (done or error); never rejects. */
  readonly finished: Promise<TerminalEvent>
}

/** Several images captioned with one prompt and the same options, decoded together by the worker. */
export interface DescribeBatchRequest {
  /** Image ids, one job each (at most LIMITS.batchSize). */
  readonly images: readonly string[]
  readonly prompt?: string
  readonly options?: DescribeOptions
}

export interface SmolvlmImagesApi {
  /** Dropped (or picked) files. Folders are expanded to the image files inside them; other files are skipped. */
  add(files: readonly File[]): Promise<ImageRef[]>
  /** The system's open dialog (files, or folders with `folders: true`); [] when the user cancels. */
  open(options?: { folders?: boolean }): Promise<ImageRef[]>
  /** A pasted image; it has no folder, so no sidecar can be written for it. */
  fromBytes(name: string, bytes: Uint8Array): Promise<ImageRef>
  /** A small WebP data URL and the original's size. */
  thumbnail(id: string): Promise<Thumbnail>
  /** The description and keywords the image already has in its metadata or .xmp sidecar. */
  metadata(id: string): Promise<ImageMetadataInfo>
  /** Images granted by the app's own menu (File › Open…). */
  onAdded(callback: (images: ImageRef[]) => void): Unsubscribe
}

export interface SmolvlmModelApi {
  status(): Promise<ModelStatus>
  /** Loads the model named by the settings (and keeps it warm); resolves with the status once it is ready or failed. */
  load(): Promise<ModelStatus>
  /** Frees the model's memory; running and queued jobs end cancelled. */
  unload(): Promise<ModelStatus>
  onStatus(callback: (status: ModelStatus) => void): Unsubscribe
}

export interface SmolvlmStoreApi {
  catalog(): Promise<CatalogEntryInfo[]>
  installed(): Promise<InstalledModelInfo[]>
  /** Downloads (or resumes) a model; progress arrives through onProgress. */
  pull(ref: string, variant?: VariantChoice): Promise<PullOutcome>
  /** Stops a download and keeps what it has; pull again to resume. */
  pause(ref: string): Promise<{ paused: boolean }>
  cancel(ref: string): Promise<{ cancelled: boolean }>
  verify(ref: string): Promise<VerifyReportInfo>
  remove(ref: string): Promise<{ removed: boolean }>
  /** Picks a model folder with the system dialog and adds it to the store; null when the user cancels. */
  importFolder(mode?: ImportMode): Promise<InstalledModelInfo | null>
  diskUsage(): Promise<DiskUsageInfo>
  onProgress(callback: (event: StoreProgressEvent) => void): Unsubscribe
}

export interface SmolvlmSettingsApi {
  get(): Promise<Settings>
  /** Validates and saves the changed keys; resolves with the whole new settings. */
  update(patch: SettingsPatch): Promise<Settings>
  onChange(callback: (settings: Settings) => void): Unsubscribe
}

export interface SmolvlmResultsApi {
  /** Writes <image name>.txt next to each image; reports per file what happened (never overwrites silently). */
  writeSidecars(
    items: readonly SidecarItem[],
    policy: SidecarPolicy,
    triggerWord?: string
  ): Promise<SidecarReport[]>
  /** Saves results as CSV or JSON Lines where the user chooses; the saved file's path, or null when cancelled. */
  export(format: ExportFormat, rows: readonly ExportRow[]): Promise<string | null>
  /** Writes each caption into its image's metadata, or an .xmp sidecar; reports per image what happened. */
  writeMetadata(
    items: readonly WriteMetadataCall['items'][number][],
    options: Omit<WriteMetadataCall, 'items'>
  ): Promise<MetadataReportInfo[]>
}

/** The caption library: finished captions kept on this machine, searchable by their words. */
export interface SmolvlmLibraryApi {
  /** Keeps finished captions (does nothing when the keepHistory setting is off). */
  record(items: readonly { imageId: string; prompt: string; text: string }[]): Promise<{ recorded: number }>
  /** Images whose kept captions hold the words; found images are granted to the page. */
  search(query: string, limit?: number): Promise<LibrarySearchResult>
  /** Every kept caption of one image, newest first. */
  history(imageId: string): Promise<LibraryEntryInfo[]>
  clear(): Promise<{ cleared: number }>
}

/** A watched folder (one at a time): images that land in it are added to the list and described. */
export interface SmolvlmWatchApi {
  /** Asks for a folder (the host's dialog) and starts watching it; not watching when cancelled. */
  start(options?: { writeCaptionFiles?: boolean }): Promise<WatchStatus>
  stop(): Promise<WatchStatus>
  status(): Promise<WatchStatus>
  /** Images whose job ended without a caption: `failed` when the image itself cannot be described. */
  settled(items: readonly { imageId: string; failed: boolean }[]): Promise<{ settled: number }>
  onStatus(callback: (status: WatchStatus) => void): Unsubscribe
  /** Images of the watched folder, ready to describe (again, for an image already in the list that changed). */
  onImages(callback: (images: ImageRef[]) => void): Unsubscribe
}

export interface SmolvlmApi {
  /** Bumped when the shape of this API changes. */
  readonly version: 1
  readonly images: SmolvlmImagesApi
  /** Starts a job; its events (for this job only) go to onEvent. A refused request ends with an error event. */
  describe(request: DescribeRequest, onEvent: (event: JobEvent) => void): DescribeJob
  /**
   * Starts one job per image, decoded together; image i's events go to onEvent(i, event), ending with its own done
   * or error, and each job cancels alone (cancel them all to stop the batch). A refused batch ends every job with
   * the error.
   */
  describeBatch(
    request: DescribeBatchRequest,
    onEvent: (index: number, event: JobEvent) => void
  ): DescribeJob[]
  readonly model: SmolvlmModelApi
  readonly store: SmolvlmStoreApi
  readonly settings: SmolvlmSettingsApi
  readonly results: SmolvlmResultsApi
  readonly library: SmolvlmLibraryApi
  readonly watch: SmolvlmWatchApi
}

declare global {
  interface Window {
    readonly smolvlm: SmolvlmApi
  }
}

export type {
  CatalogEntryInfo,
  DescribeRequest,
  DiskUsageInfo,
  ExportFormat,
  ExportRow,
  ImageRef,
  ImportMode,
  ImageMetadataInfo,
  InstalledModelInfo,
  JobEvent,
  LibraryEntryInfo,
  LibrarySearchResult,
  MetadataReportInfo,
  SearchHitInfo,
  ModelStatus,
  PullOutcome,
  Settings,
  SettingsPatch,
  SidecarItem,
  SidecarPolicy,
  SidecarReport,
  StoreProgressEvent,
  TerminalEvent,
  Thumbnail,
  Variant,
  VariantChoice,
  VerifyReportInfo,
  WatchStatus
}

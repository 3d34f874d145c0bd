import { z } from 'zod'
import type { ErrorInfo } from './errors.ts'
import type { ImageRef, Thumbnail } from './images.ts'
import { ImageIdSchema, ImageNameSchema, ImageRefSchema } from './images.ts'
import { DescribeBatchCallSchema, DescribeCallSchema, JobEventEnvelopeSchema, JobIdSchema } from './jobs.ts'
import { LIMITS } from './limits.ts'
import type { ModelStatus } from './model.ts'
import { AbsolutePathSchema, ModelStatusSchema } from './model.ts'
import type {
  ImageMetadataInfo,
  LibraryEntryInfo,
  LibrarySearchResult,
  MetadataReportInfo
} from './library.ts'
import {
  LibraryHistoryCallSchema,
  LibraryRecordCallSchema,
  LibrarySearchCallSchema,
  WriteMetadataCallSchema
} from './library.ts'
import type { SidecarReport } from './results.ts'
import { ExportCallSchema, WriteSidecarsCallSchema } from './results.ts'
import type { Settings } from './settings.ts'
import { SettingsPatchSchema, SettingsSchema } from './settings.ts'
import type { WatchStatus } from './watch.ts'
import { WatchSettledCallSchema, WatchStartCallSchema, WatchStatusSchema } from './watch.ts'
import type {
  CatalogEntryInfo,
  DiskUsageInfo,
  InstalledModelInfo,
  PullOutcome,
  VerifyReportInfo
} from './store.ts'
import {
  StoreImportCallSchema,
  StoreProgressEventSchema,
  StorePullCallSchema,
  StoreRefCallSchema
} from './store.ts'

/**
 * Every request the page can make of the app, by method name, with the schema its payload must pass. The
 * Electron transport invokes `smolvlm:<method>` (ipcMain.handle); the browser test bridge posts to
 * `/__smolvlm/api/<method>`. Both hand the payload, unparsed, to the host, which validates it here.
 */
const Empty = z.strictObject({})

export const API_REQUESTS = {
  /** Paths of dropped files, resolved by the preload with webUtils.getPathForFile (never typed by the page). */
  'images.addPaths': z.strictObject({ paths: z.array(AbsolutePathSchema).min(1).max(LIMITS.pathsPerCall) }),
  'images.open': z.strictObject({ folders: z.boolean().optional() }),
  'images.fromBytes': z.strictObject({
    name: ImageNameSchema,
    bytes: z
      .instanceof(Uint8Array)
      .refine((bytes) => bytes.byteLength > 0, 'is empty')
      .refine((bytes) => bytes.byteLength <= LIMITS.imageBytes, `is larger than ${LIMITS.imageBytes} bytes`)
  }),
  'images.thumbnail': z.strictObject({ id: ImageIdSchema }),
  /** The description and keywords an image already has (its own metadata or its .xmp sidecar). */
  'images.metadata': z.strictObject({ id: ImageIdSchema }),
  describe: DescribeCallSchema,
  /** Images decoded together, each its own job (the page sends up to the batchSize setting's number). */
  describeBatch: DescribeBatchCallSchema,
  cancel: z.strictObject({ jobId: JobIdSchema }),
  'model.status': Empty,
  'model.load': Empty,
  'model.unload': Empty,
  'store.catalog': Empty,
  'store.installed': Empty,
  'store.pull': StorePullCallSchema,
  'store.pause': StoreRefCallSchema,
  'store.cancel': StoreRefCallSchema,
  'store.verify': StoreRefCallSchema,
  'store.remove': StoreRefCallSchema,
  'store.importFolder': StoreImportCallSchema,
  'store.diskUsage': Empty,
  'settings.get': Empty,
  'settings.update': SettingsPatchSchema,
  'results.writeSidecars': WriteSidecarsCallSchema,
  'results.export': ExportCallSchema,
  /** Captions into the images' own metadata or .xmp sidecars (src/metadata). */
  'results.writeMetadata': WriteMetadataCallSchema,
  /** A finished caption, to keep in the caption library (the host adds model, precision and file hash). */
  'library.record': LibraryRecordCallSchema,
  'library.search': LibrarySearchCallSchema,
  /** Every kept caption of one image (by its path and by its content). */
  'library.history': LibraryHistoryCallSchema,
  'library.clear': Empty,
  /** Watch a folder picked in the host's dialog: images that land in it join the list (src/host/watch-service.ts). */
  'watch.start': WatchStartCallSchema,
  'watch.stop': Empty,
  'watch.status': Empty,
  'watch.settled': WatchSettledCallSchema
} as const

export type ApiMethod = keyof typeof API_REQUESTS
export const API_METHODS = Object.keys(API_REQUESTS) as ApiMethod[]
export type ApiPayload<M extends ApiMethod> = z.input<(typeof API_REQUESTS)[M]>
export type ApiParams<M extends ApiMethod> = z.infer<(typeof API_REQUESTS)[M]>

export interface ApiResults {
  'images.addPaths': ImageRef[]
  'images.open': ImageRef[]
  'images.fromBytes': ImageRef
  'images.thumbnail': Thumbnail
  'images.metadata': ImageMetadataInfo
  describe: { accepted: true }
  describeBatch: { accepted: true }
  cancel: { cancelled: boolean }
  'model.status': ModelStatus
  'model.load': ModelStatus
  'model.unload': ModelStatus
  'store.catalog': CatalogEntryInfo[]
  'store.installed': InstalledModelInfo[]
  'store.pull': PullOutcome
  'store.pause': { paused: boolean }
  'store.cancel': { cancelled: boolean }
  'store.verify': VerifyReportInfo
  'store.remove': { removed: boolean }
  'store.importFolder': InstalledModelInfo | null
  'store.diskUsage': DiskUsageInfo
  'settings.get': Settings
  'settings.update': Settings
  'results.writeSidecars': SidecarReport[]
  'results.export': string | null
  'results.writeMetadata': MetadataReportInfo[]
  'library.record': { recorded: number }
  'library.search': LibrarySearchResult
  'library.history': LibraryEntryInfo[]
  'library.clear': { cleared: number }
  /** The new status; not watching when the dialog was cancelled. */
  'watch.start': WatchStatus
  'watch.stop': WatchStatus
  'watch.status': WatchStatus
  /** How many of the images were watched ones. */
  'watch.settled': { settled: number }
}

export function isApiMethod(value: unknown): value is ApiMethod {
  return typeof value === 'string' && Object.hasOwn(API_REQUESTS, value)
}

/** Every answer is an envelope, so typed error codes survive transports that flatten thrown errors. */
export type ApiResult<T = unknown> = { ok: true; value: T } | { ok: false; error: ErrorInfo }

export const INVOKE_PREFIX = 'smolvlm:'
export const invokeChannel = (method: ApiMethod): string => `${INVOKE_PREFIX}${method}`

/** Messages the app pushes to the page. */
export const PUSH_EVENTS = {
  /** Events of a job whose port could not carry them (the worker died, or the job was refused late). */
  'job-event': JobEventEnvelopeSchema,
  'model-status': ModelStatusSchema,
  'store-progress': StoreProgressEventSchema,
  settings: SettingsSchema,
  /** Images granted by a menu command (File › Open…), not by a call of the page. */
  'images-added': z.array(ImageRefSchema).max(LIMITS.imagesPerFolder),
  /** Images of the watched folder that finished arriving (or changed): to describe, again if already listed. */
  'watch-images': z.array(ImageRefSchema).max(LIMITS.imagesPerFolder),
  'watch-status': WatchStatusSchema
} as const
export type PushEvent = keyof typeof PUSH_EVENTS
export type PushPayload<E extends PushEvent> = z.infer<(typeof PUSH_EVENTS)[E]>
export const pushChannel = (event: PushEvent): string => `smolvlm:push:${event}`

/** Electron only: the renderer's end of a job's MessageChannel arrives on this channel with { jobId }. */
export const JOB_PORT_CHANNEL = 'smolvlm:job-port'
export const JobPortMessageSchema = z.strictObject({ jobId: JobIdSchema })

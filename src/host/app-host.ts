import type {
  ApiMethod,
  ApiParams,
  ApiResult,
  ApiResults,
  ImageRef,
  ModelSpec,
  ModelStatus,
  Settings,
  WorkerBatchRequest,
  WorkerDescribeRequest
} from '../shared/contract.ts'
import { API_REQUESTS, AppError, describeIssues, isApiMethod, toErrorInfo } from '../shared/contract.ts'
import type { DescribeBatchCall, DescribeRequest, ExportFormat, ImportMode } from '../shared/contract.ts'
import { defaultExportName, resolveRows, writeExport } from './export-files.ts'
import { FileBroker } from './file-broker.ts'
import { LibraryService } from './library-service.ts'
import { Listeners } from './listeners.ts'
import type { RestartPolicyOptions } from './restart-policy.ts'
import { SettingsStore } from './settings-store.ts'
import { writeSidecars } from './sidecars.ts'
import type { ModelStoreLike } from './store-service.ts'
import { StoreService } from './store-service.ts'
import type { JobChannel } from './supervisor.ts'
import { WorkerSupervisor } from './supervisor.ts'
import { makeThumbnail, ThumbnailCache } from './thumbnails.ts'
import { RawPreviewReader } from '../metadata/raw-preview.ts'
import type { WorkerLauncher } from './worker-process.ts'
import { WatchService } from './watch-service.ts'

/** What only the transport can do: show system dialogs (Electron) or stand in for them (the browser test bridge). */
export interface HostDialogs {
  /** Image files (or folders) to open; null or [] when cancelled. */
  openImages(options: { folders: boolean }): Promise<readonly string[] | null>
  /** Where to save an export; null when cancelled. */
  saveExport(defaultName: string, format: ExportFormat): Promise<string | null>
  /** A model folder to import; null when cancelled. */
  chooseModelFolder(): Promise<string | null>
  /** One folder to watch; null when cancelled. Absent: the Open folder dialog's first folder. */
  chooseWatchFolder?(): Promise<string | null>
}

/** The per-call part of a transport: where a job's events go. */
export interface CallContext<Port> {
  openJob(jobId: string): JobChannel<Port>
}

export interface AppHostOptions<Port> {
  /** Folder for settings.json (Electron: <userData>/settings). */
  readonly settingsDir: string
  readonly launcher: WorkerLauncher<Port>
  readonly dialogs: HostDialogs
  readonly store?: ModelStoreLike | null
  /**
   * Which folder and precision to load for the current settings. Default: the store's installed copy of
   * settings.modelId. The test bridge and `SMOLVLM_MODEL_DIR` use a fixed folder instead.
   */
  readonly resolveModel?: (settings: Settings, store: StoreService) => Promise<ModelSpec>
  readonly tempRoot?: string
  /** The caption library's SQLite file (src/library/location.ts); null or absent: no library. */
  readonly libraryFile?: string | null
  readonly restart?: Partial<RestartPolicyOptions>
  readonly threads?: number
  readonly log?: (line: string) => void
  /** Where the app keeps its own files (watched folders' ledgers under <dataDir>/watch); default settingsDir. */
  readonly dataDir?: string
  /** How long a watched folder's new file must stay unchanged (default 2 s; tests use less). */
  readonly watchSettleMs?: number
}

/** The worker request for a page's request: ids become granted paths, unset options come from the settings. */
export function composeWorkerRequest(
  request: DescribeRequest,
  settings: Settings,
  paths: readonly string[]
): WorkerDescribeRequest {
  const options = request.options ?? {}
  const splitting = options.doImageSplitting ?? (settings.fastMode ? false : undefined)
  const longestEdge = options.longestEdge ?? settings.longestEdge ?? undefined
  const repetitionPenalty = options.repetitionPenalty ?? settings.repetitionPenalty ?? undefined
  return {
    images: [...paths],
    // A chat is a follow-up about images the worker has most likely just seen: continue from its cache.
    ...(request.messages
      ? { messages: request.messages, reusePrefix: true }
      : { prompt: request.prompt ?? settings.prompt }),
    maxNewTokens: options.maxNewTokens ?? settings.maxNewTokens,
    sampling: options.sampling ?? settings.sampling,
    ...(repetitionPenalty !== undefined ? { repetitionPenalty } : {}),
    ...(splitting !== undefined ? { doImageSplitting: splitting } : {}),
    ...(longestEdge !== undefined ? { longestEdge } : {})
  }
}

/** What a batch's images share, resolved as for a one-image describe (a batch has a prompt, never a chat). */
export function composeBatchRequest(
  call: Pick<DescribeBatchCall, 'prompt' | 'options'>,
  settings: Settings
): WorkerBatchRequest {
  const one = composeWorkerRequest({ images: [], prompt: call.prompt, options: call.options }, settings, [])
  const { images: _images, messages: _messages, reusePrefix: _reuse, prompt, ...options } = one
  return { prompt: prompt ?? settings.prompt, ...options }
}

/** Resolves the settings' model through the store: the installed folder, if it has the chosen precision. */
export async function resolveFromStore(
  settings: Settings,
  store: StoreService,
  threads?: number
): Promise<ModelSpec> {
  const model = await store.resolve(settings.modelId)
  if (model.variants.length > 0 && !model.variants.includes(settings.variant)) {
    throw new AppError(
      'model-missing',
      `${settings.modelId} is installed without the ${settings.variant} precision (it has ${model.variants.join(', ')}). Download it or choose another.`
    )
  }
  return {
    id: model.id,
    dir: model.dir,
    variant: settings.variant,
    device: settings.device,
    ...(threads ? { threads } : {})
  }
}

type Handlers<Port> = {
  [M in ApiMethod]: (params: ApiParams<M>, context: CallContext<Port>) => Promise<ApiResults[M]>
}

/**
 * The app service that runs in the main process, free of Electron: file broker, settings, worker supervisor,
 * model store, results, thumbnails, and the request handlers that validate every incoming message against the
 * contract before acting on it. src/main wires it to ipcMain; tests/ui-bridge wires it to HTTP.
 */
export class AppHost<Port = never> {
  readonly broker: FileBroker
  readonly supervisor: WorkerSupervisor<Port>
  readonly store: StoreService
  readonly library: LibraryService
  /** "Watch this folder": images that land in it go to the page (watch-images). */
  readonly watch: WatchService
  /** Images granted by the app itself (menu › Open…), for the page to add to its list. */
  readonly onImagesAdded = new Listeners<ImageRef[]>()
  private readonly thumbnails = new ThumbnailCache()
  /** RAW thumbnails come from the embedded preview (one ExifTool process, started by the first RAW). */
  private readonly rawPreviews = new RawPreviewReader()
  private readonly handlers: Handlers<Port>

  private constructor(
    private readonly options: AppHostOptions<Port>,
    readonly settings: SettingsStore
  ) {
    this.broker = new FileBroker({ tempRoot: options.tempRoot })
    this.supervisor = new WorkerSupervisor<Port>({
      launcher: options.launcher,
      restart: options.restart,
      log: options.log
    })
    this.store = new StoreService(options.store ?? null)
    this.library = new LibraryService(options.libraryFile ?? null, this.broker, options.log)
    this.watch = new WatchService({
      broker: this.broker,
      dataDir: options.dataDir ?? options.settingsDir,
      settings: () => this.settings.get(),
      settleMs: options.watchSettleMs,
      log: options.log
    })
    this.handlers = this.createHandlers()
    for (const problem of settings.problems) options.log?.(problem)
  }

  static async create<Port = never>(options: AppHostOptions<Port>): Promise<AppHost<Port>> {
    return new AppHost(options, await SettingsStore.open(options.settingsDir))
  }

  get onModelStatus(): Listeners<ModelStatus> {
    return this.supervisor.onStatus
  }

  /** Starts the worker now (it loads the model lazily, on the first job or model.load). */
  start(): void {
    this.supervisor.start()
    // The folder watched when the app last quit is watched again.
    void this.watch.restore()
  }

  /**
   * Handles one request from the page. The method name and payload are untrusted: both are validated here,
   * and any failure comes back as { ok: false, error: { code, message } } (never as a thrown error).
   */
  async handle(method: unknown, payload: unknown, context: CallContext<Port>): Promise<ApiResult> {
    if (!isApiMethod(method)) {
      const name = typeof method === 'string' ? JSON.stringify(method.slice(0, 64)) : typeof method
      return { ok: false, error: { code: 'invalid-message', message: `Unknown request ${name}.` } }
    }
    const parsed = API_REQUESTS[method].safeParse(payload)
    if (!parsed.success) {
      return {
        ok: false,
        error: { code: 'invalid-message', message: describeIssues(parsed.error, `${method} request`) }
      }
    }
    try {
      const handler = this.handlers[method] as (
        params: unknown,
        context: CallContext<Port>
      ) => Promise<unknown>
      return { ok: true, value: await handler(parsed.data, context) }
    } catch (error) {
      return { ok: false, error: toErrorInfo(error) }
    }
  }

  /** The File › Open… menu command: shows the dialog, grants the choice and tells the page. */
  async openFromMenu(folders: boolean): Promise<void> {
    const paths = await this.options.dialogs.openImages({ folders })
    if (!paths || paths.length === 0) return
    const refs = await this.broker.grantPaths(paths, 'dialog')
    if (refs.length > 0) this.onImagesAdded.emit(refs)
  }

  /**
   * Files the system asked the app to open ("Open with", a second launch; src/host/open-requests.ts): granted by
   * the broker like dropped files (folders expand to their images, other files are skipped) and sent to the page.
   */
  async openPaths(paths: readonly string[]): Promise<ImageRef[]> {
    const refs = await this.broker.grantPaths(paths, 'open-with')
    if (refs.length > 0) this.onImagesAdded.emit(refs)
    return refs
  }

  async close(): Promise<void> {
    await this.watch.close().catch(() => undefined)
    await this.store.close().catch(() => undefined)
    await this.library.close().catch(() => undefined)
    await this.rawPreviews.close().catch(() => undefined)
    await this.supervisor.stop()
    await this.broker.close()
  }

  private resolveModel(settings: Settings): Promise<ModelSpec> {
    return this.options.resolveModel
      ? this.options.resolveModel(settings, this.store)
      : resolveFromStore(settings, this.store, this.options.threads)
  }

  private createHandlers(): Handlers<Port> {
    return {
      'images.addPaths': ({ paths }) => this.broker.grantPaths(paths, 'drop'),
      'images.open': async ({ folders }) => {
        const paths = await this.options.dialogs.openImages({ folders: folders ?? false })
        return paths && paths.length > 0 ? this.broker.grantPaths(paths, 'dialog') : []
      },
      'images.fromBytes': ({ name, bytes }) => this.broker.grantBytes(name, bytes),
      'images.thumbnail': ({ id }) => {
        const grant = this.broker.resolve(id)
        return this.thumbnails.get(id, () => makeThumbnail(grant.path, grant.name, this.rawPreviews))
      },
      'images.metadata': ({ id }) => this.library.readMetadata(id),
      describe: async ({ jobId, request }, context) => {
        if (this.supervisor.hasJob(jobId))
          throw new AppError('invalid-message', `A job with id ${jobId} already exists.`)
        const paths = request.images.map((id) => this.broker.resolve(id).path)
        const settings = this.settings.get()
        const model = await this.resolveModel(settings)
        const message = {
          type: 'describe' as const,
          jobId,
          model,
          request: composeWorkerRequest(request, settings, paths)
        }
        this.supervisor.submit(message, context.openJob(jobId))
        return { accepted: true as const }
      },
      describeBatch: async ({ jobs, prompt, options }, context) => {
        for (const { jobId } of jobs)
          if (this.supervisor.hasJob(jobId))
            throw new AppError('invalid-message', `A job with id ${jobId} already exists.`)
        const images = jobs.map(({ jobId, image }) => ({ jobId, image: this.broker.resolve(image).path }))
        const settings = this.settings.get()
        const model = await this.resolveModel(settings)
        this.supervisor.submitBatch(
          {
            type: 'describe-batch',
            model,
            jobs: images,
            request: composeBatchRequest({ prompt, options }, settings)
          },
          jobs.map(({ jobId }) => context.openJob(jobId))
        )
        return { accepted: true as const }
      },
      cancel: async ({ jobId }) => ({ cancelled: this.supervisor.cancel(jobId) }),
      'model.status': () => this.supervisor.refreshStatus(),
      'model.load': async () => this.supervisor.load(await this.resolveModel(this.settings.get())),
      'model.unload': () => this.supervisor.unload(),
      'store.catalog': () => this.store.catalog(),
      'store.installed': () => this.store.installed(),
      'store.pull': ({ ref, variant }) => this.store.pull(ref, variant),
      'store.pause': async ({ ref }) => this.store.pause(ref),
      'store.cancel': ({ ref }) => this.store.cancel(ref),
      'store.verify': ({ ref }) => this.store.verify(ref),
      'store.remove': ({ ref }) => this.store.remove(ref),
      'store.importFolder': async ({ mode }) => {
        const dir = await this.options.dialogs.chooseModelFolder()
        return dir ? this.store.importFolder(dir, (mode ?? 'in-place') satisfies ImportMode) : null
      },
      'store.diskUsage': () => this.store.diskUsage(),
      'settings.get': async () => this.settings.get(),
      'settings.update': (patch) => this.settings.update(patch),
      'results.writeSidecars': async ({ items, policy, triggerWord }) => {
        const reports = await writeSidecars(this.broker, items, policy, triggerWord)
        this.library.noteSidecars(reports)
        return reports
      },
      'results.writeMetadata': async (call) => {
        const reports = await this.library.writeMetadata(call)
        // Written into the image itself: a watched image must not come back as changed by this write.
        const changed = reports
          .filter((r) => r.where === 'embedded' && ['written', 'replaced', 'appended'].includes(r.outcome))
          .flatMap((r) => {
            try {
              return [this.broker.resolve(r.imageId).path]
            } catch {
              return []
            }
          })
        await this.watch.rewritten(changed)
        return reports
      },
      'library.record': async ({ items }) => {
        // Watched images are done (and get their caption files) whether or not captions are kept.
        await this.watch.captioned(items)
        return this.settings.get().keepHistory
          ? this.library.record(items, this.supervisor.status())
          : { recorded: 0 }
      },
      'library.search': ({ query, limit }) => this.library.search(query, limit),
      'library.history': ({ imageId }) => this.library.history(imageId),
      'library.clear': async () => this.library.clear(),
      'watch.start': async ({ writeCaptionFiles }) => {
        const { dialogs } = this.options
        const folder = dialogs.chooseWatchFolder
          ? await dialogs.chooseWatchFolder()
          : ((await dialogs.openImages({ folders: true }))?.[0] ?? null)
        if (!folder) return this.watch.status()
        return this.watch.start(folder, writeCaptionFiles ?? false)
      },
      'watch.stop': () => this.watch.stop(),
      'watch.status': async () => this.watch.status(),
      'watch.settled': async ({ items }) => ({ settled: await this.watch.settled(items) }),
      'results.export': async ({ format, rows }) => {
        const resolved = resolveRows(this.broker, rows)
        const path = await this.options.dialogs.saveExport(defaultExportName(format), format)
        if (!path) return null
        await writeExport(path, format, resolved)
        return path
      }
    }
  }
}

import type { CatalogEntry } from '../store/catalog.ts'
import { estimateDownloadBytes } from '../store/catalog.ts'
import type {
  DiskUsage,
  InstalledModel,
  PullOptions,
  PullProgress as StorePullProgress,
  VerifyReport
} from '../store/types.ts'
import type {
  CatalogEntryInfo,
  DiskUsageInfo,
  ImportMode,
  InstalledModelInfo,
  PullOutcome,
  PullProgress,
  StoreProgressEvent,
  VariantChoice,
  VerifyReportInfo
} from '../shared/contract.ts'
import { AppError, toErrorInfo } from '../shared/contract.ts'
import { Listeners } from './listeners.ts'

/** The part of the ModelStore (src/store) the app uses. */
export interface ModelStoreLike {
  catalog(): readonly CatalogEntry[] | Promise<readonly CatalogEntry[]>
  installed(): Promise<readonly InstalledModel[]>
  resolve(ref: string): Promise<InstalledModel | undefined>
  pull(ref: string, options?: PullOptions): Promise<InstalledModel>
  verify(ref: string): Promise<VerifyReport>
  remove(ref: string): Promise<unknown>
  importFolder(dir: string, options: { mode: ImportMode }): Promise<InstalledModel>
  diskUsage(): Promise<DiskUsage>
  /** Deletes what a paused or interrupted download left. */
  discardPartial?(ref: string): Promise<unknown>
}

export function catalogInfo(entry: CatalogEntry): CatalogEntryInfo {
  return {
    id: entry.id,
    repo: entry.repo,
    title: entry.title,
    parameters: entry.parameters,
    summary: entry.summary,
    variants: [...entry.variants],
    recommended: { cpu: entry.recommended.cpu, gpu: entry.recommended.gpu },
    recommendedWhy: entry.recommendedWhy,
    downloadBytes: estimateDownloadBytes(entry, entry.recommended.cpu) ?? null
  }
}

/** An installed model as the page sees it: no folder path, files counted rather than listed. */
export function installedInfo(model: InstalledModel): InstalledModelInfo {
  return {
    id: model.id,
    repo: model.repo,
    revision: model.revision,
    variants: [...model.variants],
    sizeBytes: model.sizeBytes,
    source: model.source,
    files: model.files.length,
    problems: [...model.problems]
  }
}

function noticeText(progress: StorePullProgress): string | null {
  const notice = progress.notice
  if (!notice) return null
  switch (notice.kind) {
    case 'resume':
      return `Resuming ${notice.file} from ${notice.offset} bytes.`
    case 'retry':
      return `Retrying ${notice.file} (attempt ${notice.attempt}): ${notice.reason}`
    case 'restart':
      return `Restarting ${notice.file}: ${notice.reason}`
  }
}

export function progressInfo(progress: StorePullProgress): PullProgress {
  return {
    phase: progress.phase,
    file: progress.file ?? null,
    bytes: progress.bytes,
    total: progress.total,
    bytesPerSecond: progress.bytesPerSecond,
    etaSeconds: progress.etaSeconds,
    files: progress.files.map((f) => ({ path: f.path, bytes: f.bytes, total: f.total, state: f.state })),
    notice: noticeText(progress)
  }
}

export function verifyInfo(report: VerifyReport): VerifyReportInfo {
  return {
    ok: report.ok,
    files: report.files.map((f) => ({
      path: f.path,
      status: f.status,
      detail:
        f.expected !== undefined || f.actual !== undefined
          ? `expected ${f.expected ?? '?'}, found ${f.actual ?? '?'}`
          : null
    }))
  }
}

export function diskUsageInfo(usage: DiskUsage): DiskUsageInfo {
  return {
    totalBytes: usage.bytes,
    models: usage.models.map((m) => ({
      id: m.id,
      revision: m.revision,
      bytes: m.bytes,
      complete: m.complete
    }))
  }
}

type StopReason = 'paused' | 'cancelled'

/**
 * The store as the app's requests use it: one download per model at a time, progress announced to listeners,
 * pause (abort, keep the .part files) and cancel (abort, delete them), and results without local paths.
 */
export class StoreService {
  readonly onProgress = new Listeners<StoreProgressEvent>()
  private readonly active = new Map<
    string,
    { controller: AbortController; stop: StopReason | null; done: Promise<PullOutcome> }
  >()

  constructor(private readonly store: ModelStoreLike | null) {}

  private get required(): ModelStoreLike {
    if (!this.store) throw new AppError('model-missing', 'This app was started without a model store.')
    return this.store
  }

  async catalog(): Promise<CatalogEntryInfo[]> {
    return (await this.required.catalog()).map(catalogInfo)
  }

  async installed(): Promise<InstalledModelInfo[]> {
    return (await this.required.installed()).map(installedInfo)
  }

  async resolve(ref: string): Promise<InstalledModel> {
    const model = await this.required.resolve(ref)
    if (!model)
      throw new AppError(
        'model-missing',
        `The model ${ref} is not installed. Download it in the model manager.`
      )
    return model
  }

  pull(ref: string, variant: VariantChoice | undefined): Promise<PullOutcome> {
    const running = this.active.get(ref)
    if (running) return running.done
    const controller = new AbortController()
    const entry = {
      controller,
      stop: null as StopReason | null,
      done: Promise.resolve<PullOutcome>({ state: 'paused' })
    }
    const announce = (
      state: StoreProgressEvent['state'],
      progress: PullProgress | null,
      error: StoreProgressEvent['error'] = null
    ) => this.onProgress.emit({ ref, variant: variant ?? null, state, progress, error })
    entry.done = (async (): Promise<PullOutcome> => {
      try {
        const model = await this.required.pull(ref, {
          variant,
          signal: controller.signal,
          onProgress: (progress) => announce('running', progressInfo(progress))
        })
        announce('done', null)
        return { state: 'done', model: installedInfo(model) }
      } catch (error) {
        if (entry.stop === 'cancelled') {
          await this.store?.discardPartial?.(ref).catch(() => undefined)
          announce('cancelled', null)
          return { state: 'cancelled' }
        }
        if (entry.stop === 'paused') {
          announce('paused', null)
          return { state: 'paused' }
        }
        const info = toErrorInfo(error, 'download-failed')
        announce('error', null, info)
        return { state: 'error', error: info }
      } finally {
        this.active.delete(ref)
      }
    })()
    this.active.set(ref, entry)
    return entry.done
  }

  pause(ref: string): { paused: boolean } {
    return { paused: this.stop(ref, 'paused') }
  }

  async cancel(ref: string): Promise<{ cancelled: boolean }> {
    if (this.stop(ref, 'cancelled')) return { cancelled: true }
    // Not downloading now: a paused download's leftovers can still be discarded.
    if (this.store?.discardPartial) {
      await this.store.discardPartial(ref)
      return { cancelled: true }
    }
    return { cancelled: false }
  }

  async verify(ref: string): Promise<VerifyReportInfo> {
    return verifyInfo(await this.required.verify(ref))
  }

  async remove(ref: string): Promise<{ removed: boolean }> {
    if (this.active.has(ref))
      throw new AppError('bad-request', `${ref} is downloading; pause or cancel it first.`)
    await this.required.remove(ref)
    return { removed: true }
  }

  async importFolder(dir: string, mode: ImportMode): Promise<InstalledModelInfo> {
    return installedInfo(await this.required.importFolder(dir, { mode }))
  }

  async diskUsage(): Promise<DiskUsageInfo> {
    return diskUsageInfo(await this.required.diskUsage())
  }

  /** Pauses every download (app quit); they resume on the next pull. */
  async close(): Promise<void> {
    const running = [...this.active.values()]
    for (const entry of running) {
      entry.stop = 'paused'
      entry.controller.abort()
    }
    await Promise.all(running.map((entry) => entry.done))
  }

  private stop(ref: string, reason: StopReason): boolean {
    const entry = this.active.get(ref)
    if (!entry) return false
    entry.stop = reason
    entry.controller.abort()
    return true
  }
}

/**
 * "Watch this folder" in the app: the host watches one folder (src/watch), grants each image that has finished
 * arriving through the file broker and hands it to the page (`watch-images`), which puts it on the list and
 * describes it like an opened file. When the page reports the caption finished (library.record) the image is
 * remembered as done, by content and options, in a ledger under the app's data folder, so a restart of the app
 * does not describe it again (a job that ended without a caption comes back through `settled`: a broken image is
 * remembered as failed, anything else is tried again at the next start); with writeCaptionFiles its .txt is written at once with the Save dialog's settings
 * (policy for an existing file, trigger word). The watched folder itself is kept too (watching.json), so the app
 * watches it again after a restart until Stop watching. The page never sees the folder's path, only its name.
 */
import { mkdir, readFile, realpath, rm, stat } from 'node:fs/promises'
import { basename, join, sep } from 'node:path'
import { isSmolvlmError } from '../engine/errors.ts'
import type { ImageRef, Settings, WatchStatus } from '../shared/contract.ts'
import { boundMessage, NOT_WATCHING } from '../shared/contract.ts'
import { isKeywordPrompt, keywordTagLine, normalizeKeywords } from '../shared/keywords.ts'
import { DoneLedger, ledgerFile, optionsKey } from '../watch/done-ledger.ts'
import { DEFAULT_SETTLE_MS, FolderWatch } from '../watch/folder-watch.ts'
import type { ReadyImage } from '../watch/folder-watch.ts'
import { writeFileAtomic } from './atomic-write.ts'
import type { FileBroker } from './file-broker.ts'
import { Listeners } from './listeners.ts'
import { sidecarPath, writeSidecars } from './sidecars.ts'
import { SidecarClaims } from '../shared/sidecar-claims.ts'

export interface WatchServiceOptions {
  readonly broker: FileBroker
  /** Where the ledgers and watching.json live (<dataDir>/watch). */
  readonly dataDir: string
  readonly settings: () => Settings
  readonly settleMs?: number
  readonly log?: (line: string) => void
}

interface Watching {
  readonly root: string
  readonly watch: FolderWatch
  readonly ledger: DoneLedger
  readonly writeCaptionFiles: boolean
  /** Images handed to the page and not yet reported finished, by image id. */
  readonly pending: Map<string, ReadyImage>
  /** Caption files written since the watch started, and the image each belongs to. */
  readonly captionFiles: SidecarClaims
  added: number
  lost: number
  problem: string | null
  pump: Promise<void>
}

/** The settings that change a caption, or where it goes: a change means the folder's images are done again. */
function captionOptions(settings: Settings, writeCaptionFiles: boolean): unknown {
  return {
    model: settings.modelId,
    variant: settings.variant,
    prompt: settings.prompt,
    maxNewTokens: settings.maxNewTokens,
    sampling: settings.sampling,
    repetitionPenalty: settings.repetitionPenalty,
    fastMode: settings.fastMode,
    longestEdge: settings.longestEdge,
    captionFiles: writeCaptionFiles
      ? { policy: settings.sidecarPolicy, triggerWord: settings.triggerWord, keywords: settings.keywords }
      : null
  }
}

/** A watched image handed to the page, now reported finished: it is no longer pending. */
function take(c: Watching, imageId: string): ReadyImage | undefined {
  const image = c.pending.get(imageId)
  c.pending.delete(imageId)
  return image
}

/** A message for the page, which knows the watched folder by its name only: paths inside it shown from there. */
export function fromFolder(root: string, message: string): string {
  return message.split(`${root}${sep}`).join('').split(root).join(basename(root))
}

export class WatchService {
  readonly onImages = new Listeners<ImageRef[]>()
  readonly onStatus = new Listeners<WatchStatus>()
  private current: Watching | null = null
  /** Starts and stops one after another (a second click while the first start is listing a big folder). */
  private chain: Promise<unknown> = Promise.resolve()

  constructor(private readonly options: WatchServiceOptions) {}

  private get stateFile(): string {
    return join(this.options.dataDir, 'watch', 'watching.json')
  }

  status(): WatchStatus {
    const c = this.current
    if (!c) return NOT_WATCHING
    return {
      watching: true,
      name: basename(c.root) || c.root,
      added: c.added,
      waiting: c.watch.waiting,
      lost: c.lost,
      problem: c.problem,
      writeCaptionFiles: c.writeCaptionFiles
    }
  }

  /** Watches `folder` (instead of any folder watched before) and remembers it for the next start of the app. */
  start(folder: string, writeCaptionFiles: boolean): Promise<WatchStatus> {
    return this.serial(async () => {
      await this.stopCurrent()
      const root = await realpath(folder)
      if (!(await stat(root)).isDirectory()) throw new Error(`${basename(root)} is not a folder.`)
      const key = optionsKey(captionOptions(this.options.settings(), writeCaptionFiles))
      const ledger = DoneLedger.open(ledgerFile(this.options.dataDir, root))
      let watch: FolderWatch
      try {
        watch = await FolderWatch.start({
          root,
          recursive: true,
          settleMs: this.options.settleMs ?? DEFAULT_SETTLE_MS,
          existing: 'describe',
          holdWhileBusy: false,
          ledger,
          key,
          onNotice: (notice) => {
            if (notice.type === 'warning') this.options.log?.(`watch: ${notice.message}`)
          }
        })
      } catch (error) {
        ledger.close()
        throw error
      }
      const current: Watching = {
        root,
        watch,
        ledger,
        writeCaptionFiles,
        pending: new Map(),
        captionFiles: new SidecarClaims(),
        added: 0,
        lost: 0,
        problem: null,
        pump: Promise.resolve()
      }
      this.current = current
      current.pump = this.pump(current)
      await mkdir(join(this.options.dataDir, 'watch'), { recursive: true })
      await writeFileAtomic(this.stateFile, JSON.stringify({ folder: root, writeCaptionFiles }))
      return this.announce()
    })
  }

  /** Stops watching and forgets the folder (the next start of the app does not watch it). */
  stop(): Promise<WatchStatus> {
    return this.serial(async () => {
      await this.stopCurrent()
      await rm(this.stateFile, { force: true })
      return this.announce()
    })
  }

  /** Watches the folder watched when the app last quit, if any and still there; a failure is logged, not thrown. */
  async restore(): Promise<void> {
    let saved: { folder?: unknown; writeCaptionFiles?: unknown }
    try {
      saved = JSON.parse(await readFile(this.stateFile, 'utf8')) as typeof saved
    } catch {
      return
    }
    if (typeof saved.folder !== 'string') return
    try {
      await this.start(saved.folder, saved.writeCaptionFiles === true)
    } catch (error) {
      this.options.log?.(`watch: not watching ${saved.folder} again: ${String(error)}`)
    }
  }

  /**
   * Captions the page reports finished: the watched images among them are done (remembered in the ledger), and
   * with writeCaptionFiles their caption file is written first. Returns how many were watched images.
   */
  async captioned(items: readonly { imageId: string; prompt: string; text: string }[]): Promise<number> {
    const c = this.current
    if (!c) return 0
    let done = 0
    for (const item of items) {
      const image = take(c, item.imageId)
      if (!image) continue
      const target = sidecarPath(image.path)
      const owner = c.writeCaptionFiles ? c.captionFiles.claim(target, image.path) : undefined
      if (owner !== undefined) {
        this.note(c, `${basename(image.path)}: ${basename(owner)} already writes ${basename(target)}.`)
      } else if (c.writeCaptionFiles) {
        const settings = this.options.settings()
        // As the Save dialog writes it: a keyword answer becomes its tags, trigger word first.
        const text = isKeywordPrompt(item.prompt)
          ? keywordTagLine(
              normalizeKeywords(item.text, settings.keywords),
              settings.keywords,
              settings.triggerWord
            )
          : item.text
        const [report] = await writeSidecars(
          this.options.broker,
          [{ imageId: item.imageId, text }],
          settings.sidecarPolicy,
          settings.triggerWord.trim() || undefined
        )
        if (report?.outcome === 'failed')
          this.note(c, `${basename(image.path)}: ${report.reason ?? 'failed'}`)
      }
      await c.watch.complete(image, 'described')
      done++
    }
    return done
  }

  /**
   * Watched images whose job ended without a caption: a broken one (`failed`) is remembered and not tried again
   * until it changes; a stopped one, or one the model failed, is tried again at the next start of the watch.
   * Returns how many were watched images.
   */
  async settled(items: readonly { imageId: string; failed: boolean }[]): Promise<number> {
    const c = this.current
    if (!c) return 0
    let settled = 0
    for (const item of items) {
      const image = take(c, item.imageId)
      if (!image) continue
      await c.watch.complete(image, item.failed ? 'failed' : 'not-done')
      settled++
    }
    return settled
  }

  /** The app wrote into these images (the Save dialog's metadata): a watched one that was done stays done. */
  async rewritten(paths: readonly string[]): Promise<void> {
    const c = this.current
    if (!c) return
    for (const path of paths) await c.watch.rewritten(path)
  }

  async close(): Promise<void> {
    await this.serial(() => this.stopCurrent())
    this.onImages.clear()
    this.onStatus.clear()
  }

  private async pump(c: Watching): Promise<void> {
    for (;;) {
      const item = await c.watch.next()
      if (!item) return
      if ('error' in item) {
        c.lost++
        this.note(c, item.error.message.replace(item.path, basename(item.path)))
        continue
      }
      let refs: ImageRef[] = []
      try {
        refs = await this.options.broker.grantPaths([item.path], 'dialog')
      } catch (error) {
        this.note(c, `${basename(item.path)}: ${isSmolvlmError(error) ? error.message : String(error)}`)
      }
      const ref = refs[0]
      if (!ref) {
        c.lost++
        await c.watch.complete(item, 'not-done')
        continue
      }
      // Changed again before its caption came back: the newer content is the one to describe.
      const earlier = c.pending.get(ref.id)
      if (earlier) await c.watch.complete(earlier, 'not-done')
      c.pending.set(ref.id, item)
      c.added++
      this.onImages.emit([ref])
      this.announce()
    }
  }

  private note(c: Watching, problem: string): void {
    c.problem = boundMessage(fromFolder(c.root, problem))
    this.announce()
  }

  private announce(): WatchStatus {
    const status = this.status()
    this.onStatus.emit(status)
    return status
  }

  private async stopCurrent(): Promise<void> {
    const c = this.current
    if (!c) return
    this.current = null
    await c.watch.stop()
    await c.pump.catch(() => undefined)
    c.ledger.close()
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.chain.then(work, work)
    this.chain = next.catch(() => undefined)
    return next
  }
}

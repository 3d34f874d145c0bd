/**
 * A watched folder: images that land in it (or change) come out of `next()` one at a time, once their writing has
 * finished, and only if their content has not been done with the same options (DoneLedger).
 *
 * Watcher: @parcel/watcher (native: inotify, FSEvents, ReadDirectoryChangesW). It watches a whole tree without a
 * stat or a watch per file and coalesces bursts, so a folder of 100,000 photos costs little (Allusion moved to it
 * for that reason); chokidar 4/5 keeps a per-file tree in memory and its write-finish detection fires mid-copy on
 * slow transfers (paulmillr/chokidar#675), and chokidar 6 needs Node 22. Events only say "look at this path":
 * whether a file is finished is decided here, by polling its size and mtime (StabilityTracker) and then checking
 * that its header decodes.
 *
 * Start-up with thousands of images present: the folder is listed once (names only, no stat per file) into a
 * backlog, which is examined lazily, one file at a time, when the consumer asks for the next image: one stat to
 * skip a file the ledger saw unchanged, else one hash. Files that arrive meanwhile go first, so a watched folder
 * stays responsive while a backlog is worked through. Nothing here opens more than one file at a time.
 */
import { readdir, stat } from 'node:fs/promises'
import { join, relative } from 'node:path'
import watcher from '@parcel/watcher'
import type { AsyncSubscription, Event as WatcherEvent } from '@parcel/watcher'
import sharp from 'sharp'
import { SmolvlmError } from '../engine/errors.ts'
import { byName, fileErrorReason } from '../engine/image-paths.ts'
import { contentHash } from '../library/content-hash.ts'
import type { DoneLedger, DoneOutcome } from './done-ledger.ts'
import { StabilityTracker } from './stability.ts'
import { ignoredPath } from './watch-names.ts'

export const DEFAULT_SETTLE_MS = 2000

export interface FolderWatchOptions {
  /** The watched folder, absolute (symlinks resolved: events name real paths). */
  readonly root: string
  readonly recursive: boolean
  /** How long size and mtime must stay unchanged before a file counts as written. */
  readonly settleMs: number
  /** How often files being written are looked at again; default settleMs / 4, between 50 and 500 ms. */
  readonly pollMs?: number
  /** What to do with the images already there at start: describe those not done yet, or leave them. */
  readonly existing: 'describe' | 'skip'
  readonly ledger: DoneLedger
  /** The options key the ledger is consulted and written with (done-ledger.ts optionsKey). */
  readonly key: string
  /**
   * Whether changes to an image handed out wait until it is completed (default true: the CLI writes metadata into
   * the image, and that write must not look like a new image). The app lets a changed image come out again at
   * once; metadata its Save dialog writes into an image is reported through `rewritten`.
   */
  readonly holdWhileBusy?: boolean
  /** Things worth telling the user (warnings from the watcher, images skipped as done). */
  readonly onNotice?: (notice: WatchNotice) => void
}

export type WatchNotice =
  | { readonly type: 'listed'; readonly images: number }
  | { readonly type: 'done-already'; readonly path: string }
  /** A file finished writing and waits for its turn. */
  | { readonly type: 'queued'; readonly path: string }
  /** A file an event named that is not an image to describe (reason from watch-names.ts). */
  | { readonly type: 'ignored'; readonly path: string; readonly reason: string }
  | { readonly type: 'warning'; readonly message: string }

/** An image ready to describe: its bytes as they were hashed. */
export interface ReadyImage {
  readonly path: string
  readonly hash: string
  readonly size: number
  readonly mtimeMs: number
}

/** An image that was found but could not be looked at (deleted before its turn, unreadable). */
export interface LostImage {
  readonly path: string
  readonly error: SmolvlmError
}

export type WatchItem = ReadyImage | LostImage

/** Header checks that may fail before a settled file is passed on anyway (the caption then says what is wrong). */
const HEADER_RETRIES = 2

/** The images under `root` in name order (hidden entries and ignored names left out), without a stat per file. */
export async function listImages(root: string, recursive: boolean): Promise<string[]> {
  const found: string[] = []
  const visit = async (dir: string): Promise<void> => {
    let entries
    try {
      entries = await readdir(dir, { withFileTypes: true })
    } catch (error) {
      if (dir === root) throw error
      return // an unreadable subfolder is left out
    }
    entries.sort((a, b) => byName.compare(a.name, b.name))
    for (const entry of entries) {
      const path = join(dir, entry.name)
      if (entry.isDirectory()) {
        if (recursive && !entry.name.startsWith('.')) await visit(path)
      } else if (
        (entry.isFile() || entry.isSymbolicLink()) &&
        ignoredPath(relative(root, path), recursive) === null
      ) {
        found.push(path)
      }
    }
  }
  await visit(root)
  return found
}

async function observe(path: string): Promise<{ size: number; mtimeMs: number } | null> {
  try {
    const info = await stat(path)
    return info.isFile() ? { size: info.size, mtimeMs: info.mtimeMs } : null
  } catch {
    return null
  }
}

async function headerDecodes(path: string): Promise<boolean> {
  try {
    const { width, height } = await sharp(path, { limitInputPixels: false }).metadata()
    return (width ?? 0) > 0 && (height ?? 0) > 0
  } catch {
    return false
  }
}

export class FolderWatch {
  private readonly tracker: StabilityTracker
  private readonly pollMs: number
  /** Paths an event named, to be looked at on the next poll. */
  private readonly touched = new Set<string>()
  /** Written files, in the order they settled (a Map keeps insertion order and deletes in O(1)). */
  private readonly settled = new Map<string, true>()
  /** Images there at start, not looked at yet. */
  private readonly backlog = new Map<string, true>()
  private readonly headerTries = new Map<string, number>()
  /** Images handed out and not completed: their own changes (a metadata write) wait until they are. */
  private readonly inFlight = new Set<string>()
  private subscription: AsyncSubscription | null = null
  private timer: NodeJS.Timeout | null = null
  private polling = false
  private wake: (() => void) | null = null
  private stopped = false

  private constructor(private readonly options: FolderWatchOptions) {
    this.tracker = new StabilityTracker(options.settleMs)
    this.pollMs = options.pollMs ?? Math.min(500, Math.max(50, Math.round(options.settleMs / 4)))
  }

  /** Starts watching (events first, then the listing, so nothing lands unseen in between). */
  static async start(options: FolderWatchOptions): Promise<FolderWatch> {
    const watch = new FolderWatch(options)
    watch.subscription = await watcher.subscribe(options.root, (error, events) =>
      watch.onEvents(error, events)
    )
    try {
      if (options.existing === 'describe') {
        const images = await listImages(options.root, options.recursive)
        for (const path of images) if (!watch.touched.has(path)) watch.backlog.set(path, true)
        options.onNotice?.({ type: 'listed', images: images.length })
      }
    } catch (error) {
      await watch.stop()
      throw error
    }
    watch.timer = setInterval(() => void watch.poll(), watch.pollMs)
    return watch
  }

  /** Images waiting for their turn (settled and not yet handed out, plus the start-up backlog). */
  get waiting(): number {
    return this.settled.size + this.backlog.size
  }

  /** Files seen changing and not settled yet. */
  get settling(): number {
    return this.tracker.size + this.touched.size
  }

  /**
   * The next image to describe, waiting for one as long as it takes; null once stopped. The caller must
   * `complete` each image it gets (the ledger entry, and changes to it are watched again).
   */
  async next(): Promise<WatchItem | null> {
    for (;;) {
      if (this.stopped) return null
      const fromEvents = this.settled.keys().next()
      const path = fromEvents.done ? this.backlog.keys().next().value : fromEvents.value
      if (path === undefined) {
        await new Promise<void>((resolve) => (this.wake = resolve))
        this.wake = null
        continue
      }
      this.settled.delete(path)
      this.backlog.delete(path)
      const item = await this.examine(path)
      if (item) {
        if (!('error' in item) && this.options.holdWhileBusy !== false) this.inFlight.add(item.path)
        return item
      }
    }
  }

  /**
   * An image handed out by `next` is finished. 'described': remembered by its hash, and by the hash it has now if
   * describing it changed it (metadata written into the file), so its own output never brings it back.
   * 'failed': the content itself cannot be described (a broken file), remembered so it is not tried again until
   * it changes. 'not-done' (cancelled, a model error): nothing remembered. Never throws: a ledger that cannot be
   * written is a warning notice.
   */
  async complete(image: ReadyImage, outcome: DoneOutcome | 'not-done'): Promise<void> {
    try {
      if (outcome === 'not-done') return
      const { ledger, key } = this.options
      ledger.record({
        key,
        hash: image.hash,
        path: image.path,
        size: image.size,
        mtimeMs: image.mtimeMs,
        outcome
      })
      if (outcome !== 'described') return
      const now = await observe(image.path)
      if (!now || (now.size === image.size && now.mtimeMs === image.mtimeMs)) return
      const after = await contentHash(image.path).catch(() => null)
      if (after && !ledger.isDone(key, after.hash)) {
        const left = (await observe(image.path)) ?? now
        ledger.record({
          key,
          hash: after.hash,
          path: image.path,
          size: left.size,
          mtimeMs: left.mtimeMs,
          outcome
        })
      }
    } catch (error) {
      // The image was described; only its memory is lost (a full disk, a ledger closed by a stop meanwhile).
      const reason = error instanceof Error ? error.message : String(error)
      this.options.onNotice?.({
        type: 'warning',
        message: `${image.path} is not remembered as done (${reason}); a restart describes it again`
      })
    } finally {
      this.inFlight.delete(image.path)
    }
  }

  /**
   * The app itself wrote into an image outside `complete` (metadata from the Save dialog): if the image was done,
   * its new bytes are remembered as done too, so that write does not bring it back as a changed image (the app's
   * watch does not hold images while they are described). Never throws.
   */
  async rewritten(path: string): Promise<void> {
    const { ledger, key } = this.options
    if (this.stopped || !ledger.knowsPath(key, path)) return
    try {
      const info = await stat(path)
      const content = await contentHash(path)
      if (!content || this.stopped) return
      ledger.record({
        key,
        hash: content.hash,
        path,
        size: info.size,
        mtimeMs: info.mtimeMs,
        outcome: 'described'
      })
    } catch {
      // Gone or unreadable: the watch sees what became of it.
    }
  }

  async stop(): Promise<void> {
    this.stopped = true
    if (this.timer) clearInterval(this.timer)
    this.timer = null
    this.wake?.()
    const subscription = this.subscription
    this.subscription = null
    await subscription?.unsubscribe().catch(() => undefined)
  }

  private onEvents(error: Error | null, events: WatcherEvent[]): void {
    if (error) {
      this.options.onNotice?.({ type: 'warning', message: `watching stopped working: ${error.message}` })
      return
    }
    for (const event of events) {
      const ignored = ignoredPath(relative(this.options.root, event.path), this.options.recursive)
      if (ignored !== null) {
        if (event.type !== 'delete' && ignored !== 'the watched folder itself')
          this.options.onNotice?.({ type: 'ignored', path: event.path, reason: ignored })
        continue
      }
      this.backlog.delete(event.path)
      if (event.type === 'delete') {
        // Not yet written: a temp file that came and went. A settled one stays queued and fails when its turn
        // comes (it was found, so the user hears what became of it).
        this.touched.delete(event.path)
        this.tracker.forget(event.path)
        continue
      }
      // Changed again after it settled: it waits for the interval again.
      this.settled.delete(event.path)
      this.touched.add(event.path)
    }
  }

  /** Looks at every file being written; those unchanged for the interval join the queue. */
  private async poll(): Promise<void> {
    if (this.polling || this.stopped) return
    this.polling = true
    try {
      const paths = new Set([...this.tracker.paths(), ...this.touched])
      this.touched.clear()
      for (const path of paths) this.tracker.observe(path, await observe(path), Date.now())
      let added = false
      for (const file of this.tracker.settled(Date.now())) {
        if (this.inFlight.has(file.path)) continue
        this.tracker.forget(file.path)
        this.settled.set(file.path, true)
        this.options.onNotice?.({ type: 'queued', path: file.path })
        added = true
      }
      if (added) this.wake?.()
    } finally {
      this.polling = false
    }
  }

  /** A queued path → an image to describe, a lost one, or null (not finished after all, or done already). */
  private async examine(path: string): Promise<WatchItem | null> {
    const { ledger, key, settleMs } = this.options
    let info
    try {
      info = await stat(path)
    } catch (error) {
      return {
        path,
        error: new SmolvlmError('bad-image', `${path} ${fileErrorReason(error)}.`, { cause: error })
      }
    }
    if (!info.isFile()) return null
    if (ledger.isUnchanged(key, path, info.size, info.mtimeMs)) {
      this.options.onNotice?.({ type: 'done-already', path })
      return null
    }
    const now = Date.now()
    if (now - Math.min(info.mtimeMs, now) < settleMs) {
      // Still being written (a file of the start-up backlog): follow it like any other.
      this.tracker.observe(path, { size: info.size, mtimeMs: info.mtimeMs }, now)
      return null
    }
    if (!(await headerDecodes(path))) {
      const tries = (this.headerTries.get(path) ?? 0) + 1
      if (tries <= HEADER_RETRIES) {
        // Perhaps a writer that paused longer than the interval: give it another interval.
        this.headerTries.set(path, tries)
        this.tracker.observe(path, { size: info.size, mtimeMs: info.mtimeMs }, now)
        this.tracker.restart(path, now)
        return null
      }
    }
    this.headerTries.delete(path)
    let content
    try {
      content = await contentHash(path)
    } catch (error) {
      return {
        path,
        error: new SmolvlmError('bad-image', `${path} ${fileErrorReason(error)}.`, { cause: error })
      }
    }
    if (!content) return null
    if (ledger.isDone(key, content.hash)) {
      this.options.onNotice?.({ type: 'done-already', path })
      return null
    }
    return { path, hash: content.hash, size: content.size, mtimeMs: info.mtimeMs }
  }
}

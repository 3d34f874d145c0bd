/**
 * When a file that is being written has finished: its size and modification time have stayed the same for a
 * settle interval. A pure state machine fed with observations (path, size, mtime, now), so the rule is tested
 * without a clock or a disk.
 *
 * Why both size and mtime: a copy that pauses (a slow network share, a camera on USB) keeps the size between
 * writes but each write moves the mtime; a tool that writes in place without growing the file (a re-encode) moves
 * only the mtime. A file seen for the first time is settled since its mtime (or since now, for an mtime in the
 * future: another machine's clock), so a complete file moved in with its old mtime is ready at once, and one
 * still being written waits a whole interval after its last write.
 */

export interface FileObservation {
  readonly size: number
  readonly mtimeMs: number
}

interface Tracked extends FileObservation {
  /** Since when (ms) size and mtime have been what they are. */
  since: number
}

export class StabilityTracker {
  private readonly files = new Map<string, Tracked>()

  constructor(private readonly settleMs: number) {}

  /** Records what a stat of `path` gave at `now` (null: it is gone, so it is forgotten). */
  observe(path: string, seen: FileObservation | null, now: number): void {
    if (seen === null) {
      this.files.delete(path)
      return
    }
    const known = this.files.get(path)
    if (known && known.size === seen.size && known.mtimeMs === seen.mtimeMs) return
    // A changed file starts over from now: its mtime may be preserved from elsewhere (cp -p) or set back.
    const since = known ? now : Math.min(seen.mtimeMs, now)
    this.files.set(path, { size: seen.size, mtimeMs: seen.mtimeMs, since })
  }

  /** Starts the interval again for a file (its header did not decode yet: the writer may only have paused). */
  restart(path: string, now: number): void {
    const known = this.files.get(path)
    if (known) known.since = now
  }

  forget(path: string): void {
    this.files.delete(path)
  }

  has(path: string): boolean {
    return this.files.has(path)
  }

  /** The files being followed, in the order they were first seen. */
  paths(): string[] {
    return [...this.files.keys()]
  }

  get size(): number {
    return this.files.size
  }

  /** Files unchanged for the settle interval at `now`, with what they were; they stay followed until forgotten. */
  settled(now: number): { path: string; size: number; mtimeMs: number }[] {
    const ready: { path: string; size: number; mtimeMs: number }[] = []
    for (const [path, file] of this.files)
      if (now - file.since >= this.settleMs) ready.push({ path, size: file.size, mtimeMs: file.mtimeMs })
    return ready
  }
}

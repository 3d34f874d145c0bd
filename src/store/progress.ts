import type { PullFileState, PullNotice, PullProgress } from './types.ts'

/** 1536 → "1.5 KB"; decimal units, as disks and download pages count. */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`
  const units = ['KB', 'MB', 'GB', 'TB']
  let value = bytes / 1000
  let unit = 0
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000
    unit++
  }
  return `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`
}

/** 75 → "1:15", 3700 → "1:01:40". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds))
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  const rest = String(s % 60).padStart(2, '0')
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${rest}` : `${m}:${rest}`
}

interface FileProgress {
  path: string
  bytes: number
  total: number
  state: PullFileState
}

const SPEED_WINDOW_MS = 5000

/**
 * Turns the pull's steps into PullProgress events: per-file and total bytes, speed over the last few seconds
 * of bytes actually received (bytes found in .part files do not count as speed), and the time left at that
 * speed. Byte ticks are throttled; phase, file-state changes and notices are always sent.
 */
export class PullProgressTracker {
  private phase: PullProgress['phase'] = 'resolving'
  private readonly files = new Map<string, FileProgress>()
  private current: string | undefined
  private repo: string | undefined
  private revision: string | undefined
  private received = 0
  private samples: { at: number; received: number }[] = []
  private lastSent = 0

  constructor(
    private readonly listener: ((progress: PullProgress) => void) | undefined,
    private readonly intervalMs: number,
    private readonly now: () => number = () => performance.now()
  ) {}

  identify(repo: string, revision: string): void {
    this.repo = repo
    this.revision = revision
  }

  setPhase(phase: PullProgress['phase']): void {
    this.phase = phase
    if (phase !== 'downloading') this.current = undefined
    this.send(true)
  }

  addFile(path: string, total: number, state: PullFileState = 'pending', bytes = 0): void {
    this.files.set(path, { path, total, state, bytes })
  }

  hasFile(path: string): boolean {
    return this.files.has(path)
  }

  setState(path: string, state: PullFileState): void {
    const file = this.files.get(path)
    if (!file) return
    file.state = state
    if (state === 'downloading' || state === 'verifying') this.current = path
    if (state === 'done') file.bytes = file.total || file.bytes
    this.send(true)
  }

  /** Bytes on disk for a file, without counting them as received (a .part found, a restart from zero). */
  setBytes(path: string, bytes: number): void {
    const file = this.files.get(path)
    if (file) file.bytes = bytes
  }

  setTotal(path: string, total: number): void {
    const file = this.files.get(path)
    if (file) file.total = total
  }

  /** Bytes that just arrived over the network. */
  addReceived(path: string, bytes: number, count: number): void {
    const file = this.files.get(path)
    if (file) file.bytes = bytes
    this.received += count
    this.send(false)
  }

  notice(notice: PullNotice): void {
    this.send(true, notice)
  }

  snapshot(notice?: PullNotice): PullProgress {
    const files = [...this.files.values()].map((f) => ({ ...f }))
    const counted = files.filter((f) => f.state !== 'skipped')
    const bytes = counted.reduce((sum, f) => sum + f.bytes, 0)
    const total = counted.reduce((sum, f) => sum + f.total, 0)
    const bytesPerSecond = this.speed()
    const etaSeconds =
      this.phase === 'done'
        ? 0
        : bytesPerSecond > 0 && total >= bytes
          ? (total - bytes) / bytesPerSecond
          : null
    return {
      phase: this.phase,
      file: this.current,
      bytes,
      total,
      bytesPerSecond,
      etaSeconds,
      files,
      repo: this.repo,
      revision: this.revision,
      ...(notice ? { notice } : {})
    }
  }

  private speed(): number {
    const now = this.now()
    this.samples.push({ at: now, received: this.received })
    while (this.samples.length > 2 && now - this.samples[0]!.at > SPEED_WINDOW_MS) this.samples.shift()
    const first = this.samples[0]!
    const seconds = (now - first.at) / 1000
    return seconds > 0.2 ? (this.received - first.received) / seconds : 0
  }

  private send(force: boolean, notice?: PullNotice): void {
    if (!this.listener) return
    const now = this.now()
    if (!force && now - this.lastSent < this.intervalMs) return
    this.lastSent = now
    this.listener(this.snapshot(notice))
  }
}

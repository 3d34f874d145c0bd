/**
 * What a watched folder has had done, so a restart (or a second look at a changed file) never describes the same
 * content twice with the same options: one JSON line per image finished, appended in one write and fdatasync'd
 * before the next image starts (a killed process leaves whole lines, at worst an unfinished last one, which the
 * next open cuts away, as `--resume` files do).
 *
 * Keyed by the file's sha256 and an options key (model, prompt, length, sampling, tiling, outputs): the same bytes
 * under another name are not done again, a changed file is, and so is every file when the options change. Each
 * line also holds the path, size and mtime, so a restart over thousands of unchanged files skips them by one stat
 * each instead of reading them all again.
 *
 * Why not the caption library (src/library): it can be turned off (--no-history, the keepHistory setting), it does
 * not hold every option that changes a caption (length, sampling, tiling), and a broken file has no caption there.
 */
import { createHash } from 'node:crypto'
import { closeSync, mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { appendLine, openLineJournal } from '../library/line-journal.ts'

export type DoneOutcome = 'described' | 'failed'

export interface DoneEntry {
  /** The options key (optionsKey). */
  readonly key: string
  /** sha256 of the file's bytes, hex. */
  readonly hash: string
  readonly path: string
  readonly size: number
  readonly mtimeMs: number
  readonly outcome: DoneOutcome
  /** ms since the epoch. */
  readonly at?: number
}

/** A short stable key for the options that change what a caption is (any JSON value; key order matters not). */
export function optionsKey(options: unknown): string {
  return createHash('sha256').update(stableJson(options)).digest('hex').slice(0, 16)
}

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`
  }
  return JSON.stringify(value ?? null)
}

/** The ledger of a watched folder under a data root (the CLI's store root, the app's user data). */
export function ledgerFile(dataRoot: string, folder: string): string {
  const id = createHash('sha256').update(folder).digest('hex').slice(0, 16)
  return join(dataRoot, 'watch', `${id}.jsonl`)
}

function isEntry(value: unknown): value is DoneEntry {
  if (typeof value !== 'object' || value === null) return false
  const e = value as Record<string, unknown>
  return (
    typeof e['key'] === 'string' &&
    typeof e['hash'] === 'string' &&
    typeof e['path'] === 'string' &&
    typeof e['size'] === 'number' &&
    typeof e['mtimeMs'] === 'number' &&
    (e['outcome'] === 'described' || e['outcome'] === 'failed')
  )
}

export class DoneLedger {
  /** `${key} ${hash}` of everything done. */
  private readonly done = new Set<string>()
  /** `${key} ${path}` → size and mtime of the file as it was last left. */
  private readonly files = new Map<string, { size: number; mtimeMs: number }>()

  private constructor(
    readonly path: string,
    private fd: number | null
  ) {}

  /** Opens (or creates) the ledger; an unfinished last line is cut away, lines that do not parse are ignored. */
  static open(path: string): DoneLedger {
    mkdirSync(dirname(path), { recursive: true })
    const { fd, lines } = openLineJournal(path)
    const ledger = new DoneLedger(path, fd)
    for (const line of lines) {
      try {
        const entry: unknown = JSON.parse(line)
        if (isEntry(entry)) ledger.remember(entry)
      } catch {
        // a damaged line loses only itself
      }
    }
    return ledger
  }

  /** Whether these bytes (by hash) were done with these options. */
  isDone(key: string, hash: string): boolean {
    return this.done.has(`${key} ${hash}`)
  }

  /** Whether the file at `path` is exactly as it was left when it was last done (same size and mtime). */
  isUnchanged(key: string, path: string, size: number, mtimeMs: number): boolean {
    const known = this.files.get(`${key} ${path}`)
    return known !== undefined && known.size === size && known.mtimeMs === mtimeMs
  }

  /** Whether anything was done at `path` with these options (whatever its content now). */
  knowsPath(key: string, path: string): boolean {
    return this.files.has(`${key} ${path}`)
  }

  /** Appends one entry: one write of the whole line, then fdatasync. */
  record(entry: DoneEntry): void {
    if (this.fd === null) throw new Error(`${this.path} is closed`)
    appendLine(this.fd, JSON.stringify({ ...entry, at: entry.at ?? Date.now() }))
    this.remember(entry)
  }

  /** Entries remembered (distinct contents done per options). */
  get size(): number {
    return this.done.size
  }

  close(): void {
    if (this.fd === null) return
    closeSync(this.fd)
    this.fd = null
  }

  private remember(entry: DoneEntry): void {
    this.done.add(`${entry.key} ${entry.hash}`)
    this.files.set(`${entry.key} ${entry.path}`, { size: entry.size, mtimeMs: entry.mtimeMs })
  }
}

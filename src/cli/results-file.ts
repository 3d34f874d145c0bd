/**
 * `smolvlm caption --resume results.jsonl`: every result (failures included) is appended as the JSON line `--json`
 * prints, and a later run with the same file skips the images already in it. A run killed at any moment (kill -9,
 * a node taken away) leaves whole lines only, or at worst an unfinished last line, which the next run removes.
 */
import { closeSync } from 'node:fs'
import { resolve } from 'node:path'
import { appendLine, openLineJournal } from '../library/line-journal.ts'

export interface ResultsFileOpened {
  readonly file: ResultsFile
  /** Whole lines found (each a result). */
  readonly lines: number
  /** Bytes of an unfinished last line that were cut away (0 when the file ended cleanly). */
  readonly truncatedBytes: number
  /** Lines that were not JSON results (kept in the file, ignored). */
  readonly unreadable: number
}

export class ResultsFile {
  private readonly done = new Set<string>()

  private constructor(
    readonly path: string,
    private fd: number | null
  ) {}

  /**
   * Opens (or creates) the file for appending, after reading the images it already holds. An unfinished last line
   * (no newline: the writer was killed inside a write) is cut away. A cancelled result does not count as done.
   */
  static open(path: string): ResultsFileOpened {
    const { fd, lines, truncatedBytes } = openLineJournal(path)
    const file = new ResultsFile(path, fd)
    let unreadable = 0
    for (const line of lines) if (!file.remember(line)) unreadable++
    return { file, lines: lines.length, truncatedBytes, unreadable }
  }

  /** Whether the image (any spelling of its path from this folder) already has a result in the file. */
  has(image: string): boolean {
    return this.done.has(resolve(image))
  }

  /** The images with a result, as absolute paths. */
  get size(): number {
    return this.done.size
  }

  /**
   * Appends one result line: one write() of the whole line (O_APPEND), then fdatasync, so the line is in the file
   * before the next image starts. A cancelled result is not written: the image is still to be described.
   */
  append(line: string): void {
    if (this.fd === null) throw new Error(`${this.path} is closed`)
    const text = line.endsWith('\n') ? line.slice(0, -1) : line
    if (!this.remember(text)) return
    appendLine(this.fd, text)
  }

  close(): void {
    if (this.fd === null) return
    closeSync(this.fd)
    this.fd = null
  }

  /** Notes the image of a result line; false for a line that is not a finished result of one image. */
  private remember(line: string): boolean {
    let record: unknown
    try {
      record = JSON.parse(line)
    } catch {
      return false
    }
    if (typeof record !== 'object' || record === null) return false
    const { image, cancelled } = record as { image?: unknown; cancelled?: unknown }
    if (typeof image !== 'string' || cancelled === true) return false
    this.done.add(resolve(image))
    return true
  }
}

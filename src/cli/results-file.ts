/**
 * `smolvlm caption --resume results.jsonl`: every result (failures included) is appended as the JSON line `--json`
 * prints, and a later run with the same file skips the images already in it. A run killed at any moment (kill -9,
 * a node taken away) leaves whole lines only, or at worst an unfinished last line, which the next run removes.
 */
import { closeSync, fdatasyncSync, ftruncateSync, fstatSync, openSync, readSync, writeSync } from 'node:fs'
import { resolve } from 'node:path'

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
    // O_APPEND: every write lands at the end of the file, whatever else has happened to it.
    const fd = openSync(path, 'a+')
    try {
      const size = fstatSync(fd).size
      const content = Buffer.alloc(size)
      let read = 0
      while (read < size) {
        const n = readSync(fd, content, read, size - read, read)
        if (n === 0) break
        read += n
      }
      const whole = content.lastIndexOf(0x0a, read - 1) + 1
      let truncatedBytes = 0
      if (whole < read) {
        ftruncateSync(fd, whole)
        fdatasyncSync(fd)
        truncatedBytes = read - whole
      }
      const file = new ResultsFile(path, fd)
      let lines = 0
      let unreadable = 0
      for (const line of content.subarray(0, whole).toString('utf8').split('\n')) {
        if (line.trim() === '') continue
        lines++
        if (!file.remember(line)) unreadable++
      }
      return { file, lines, truncatedBytes, unreadable }
    } catch (error) {
      closeSync(fd)
      throw error
    }
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
    const text = line.endsWith('\n') ? line : `${line}\n`
    if (!this.remember(text.slice(0, -1))) return
    const bytes = Buffer.from(text, 'utf8')
    let written = 0
    // A regular file takes the whole buffer in one write; the loop only guards against a short write.
    while (written < bytes.length) written += writeSync(this.fd, bytes, written, bytes.length - written)
    fdatasyncSync(this.fd)
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

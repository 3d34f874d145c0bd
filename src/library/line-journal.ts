/**
 * Append-only files of JSON lines that a process killed at any moment (kill -9, a node taken away) leaves usable:
 * each line goes in one write() of the whole line on an O_APPEND descriptor, then fdatasync, so the file holds whole
 * lines and at worst an unfinished last one, which the next open cuts away. `smolvlm caption --resume` files and the
 * watch folders' done ledgers are such files.
 */
import { closeSync, fdatasyncSync, fstatSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs'

export interface OpenedJournal {
  /** Open for appending (O_APPEND: every write lands at the end, whatever else has happened to the file). */
  readonly fd: number
  /** The whole lines already in the file, blank ones left out. */
  readonly lines: string[]
  /** Bytes of an unfinished last line that were cut away (0 when the file ended cleanly). */
  readonly truncatedBytes: number
}

/** Opens (or creates) a journal and reads its whole lines, cutting away an unfinished last line. */
export function openLineJournal(path: string): OpenedJournal {
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
    if (whole < read) {
      ftruncateSync(fd, whole)
      fdatasyncSync(fd)
    }
    const lines = content
      .subarray(0, whole)
      .toString('utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
    return { fd, lines, truncatedBytes: read - whole }
  } catch (error) {
    closeSync(fd)
    throw error
  }
}

/** Appends one line (a newline is added when missing) in one write, then fdatasync: it is in the file on return. */
export function appendLine(fd: number, line: string): void {
  const bytes = Buffer.from(line.endsWith('\n') ? line : `${line}\n`, 'utf8')
  let written = 0
  // A regular file takes the whole buffer in one write; the loop only guards against a short write.
  while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written)
  fdatasyncSync(fd)
}

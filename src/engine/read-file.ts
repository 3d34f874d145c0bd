/**
 * The engine's one way to read a file: only regular files, of bounded size, cancellable.
 *
 * A path can name anything: a FIFO (opening it for reading blocks until a writer comes, which may be never), a
 * device (/dev/zero and /dev/urandom never end), a folder, a symlink loop. The file is opened with O_NONBLOCK (so
 * opening a FIFO returns at once), checked with fstat on the open descriptor (what is read is what was checked,
 * not whatever the path points to a moment later), refused unless it is a regular file no larger than the limit,
 * and read in chunks up to the size fstat gave (a file that grows meanwhile is not followed). An AbortSignal ends
 * the wait between chunks and during a read that stalls (a hung network file system); the stalled system call
 * itself finishes in libuv's thread pool.
 */
import { constants } from 'node:fs'
import { open } from 'node:fs/promises'
import type { FileHandle } from 'node:fs/promises'
import type { Stats } from 'node:fs'
import { SmolvlmError } from './errors.ts'
import { fileErrorReason } from './image-paths.ts'
import type { EngineErrorCode } from './errors.ts'

export interface ReadOptions {
  /** Largest accepted size in bytes, checked before anything is read. */
  readonly maxBytes: number
  /** The error code for a path that cannot be read ('bad-image' for images, 'model-corrupt' for model files). */
  readonly code: EngineErrorCode
  /** How messages name the file, e.g. "photo.png" or "tokenizer.json in the model folder /m". */
  readonly label: string
  readonly signal?: AbortSignal
}

const CHUNK_BYTES = 16 * 1024 * 1024

function megabytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${Math.round((bytes / 1024 / 1024) * 10) / 10} MB` : `${bytes} bytes`
}

/** Why a file of this kind cannot be read, or undefined for a regular file. */
export function notRegular(stats: Stats): string | undefined {
  if (stats.isFile()) return undefined
  if (stats.isDirectory()) return 'is a folder'
  if (stats.isFIFO()) return 'is a named pipe (FIFO), not a regular file'
  if (stats.isCharacterDevice()) return 'is a character device, not a regular file'
  if (stats.isBlockDevice()) return 'is a block device, not a regular file'
  if (stats.isSocket()) return 'is a socket, not a regular file'
  return 'is not a regular file'
}

function cancelled(label: string): SmolvlmError {
  return new SmolvlmError('cancelled', `Reading ${label} was cancelled.`)
}

/** Resolves with the promise, or rejects as soon as the signal aborts (the promise is left to settle alone). */
function unlessAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined, label: string): Promise<T> {
  if (!signal) return promise
  if (signal.aborted) {
    promise.catch(() => undefined)
    return Promise.reject(cancelled(label))
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(cancelled(label))
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(error)
      }
    )
  })
}

/**
 * Reads a regular file of at most `maxBytes`. Fails with `options.code` and a sentence naming the file and the
 * reason (does not exist, is a folder, is a named pipe, is not a regular file, is too large, …), or with
 * 'cancelled' when the signal aborts.
 */
export async function readRegularFile(path: string, options: ReadOptions): Promise<Buffer> {
  const { label, code, signal } = options
  const fail = (reason: string, cause?: unknown) =>
    new SmolvlmError(code, `${label} ${reason}.`, cause === undefined ? undefined : { cause })
  let handle: FileHandle
  const opening = open(path, constants.O_RDONLY | constants.O_NONBLOCK)
  try {
    handle = await unlessAborted(opening, signal, label)
  } catch (error) {
    if (error instanceof SmolvlmError) {
      // Cancelled while opening: close the descriptor if the open still succeeds.
      opening.then((late) => late.close()).catch(() => undefined)
      throw error
    }
    throw fail(fileErrorReason(error), error)
  }
  try {
    const stats = await unlessAborted(handle.stat(), signal, label)
    const kind = notRegular(stats)
    if (kind !== undefined) throw fail(kind)
    if (stats.size > options.maxBytes) {
      throw fail(`is too large (${megabytes(stats.size)}; at most ${megabytes(options.maxBytes)} is read)`)
    }
    const buffer = Buffer.allocUnsafe(stats.size)
    let done = 0
    while (done < buffer.length) {
      const length = Math.min(CHUNK_BYTES, buffer.length - done)
      const { bytesRead } = await unlessAborted(handle.read(buffer, done, length, done), signal, label)
      if (bytesRead === 0) break // the file shrank while we read it: what is there is what it is now
      done += bytesRead
    }
    return done === buffer.length ? buffer : buffer.subarray(0, done)
  } catch (error) {
    if (error instanceof SmolvlmError) throw error
    throw fail(fileErrorReason(error), error)
  } finally {
    // A read still running in the pool (after an abort) keeps the descriptor; closing then waits for it.
    handle.close().catch(() => undefined)
  }
}

/** Reads a UTF-8 text file (JSON, a template) with the same rules. */
export async function readRegularText(path: string, options: ReadOptions): Promise<string> {
  return (await readRegularFile(path, options)).toString('utf8')
}

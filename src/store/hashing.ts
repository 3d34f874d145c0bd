import { createHash } from 'node:crypto'
import type { Hash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'

/** sha256 of the first `length` bytes of a file (all of it when omitted), as a running hash to continue. */
export async function hashFile(
  file: string,
  options: { length?: number; signal?: AbortSignal; onBytes?: (n: number) => void } = {}
): Promise<Hash> {
  const hash = createHash('sha256')
  if (options.length === 0) return hash
  const stream = createReadStream(file, {
    start: 0,
    end: options.length === undefined ? undefined : options.length - 1,
    highWaterMark: 1 << 20,
    signal: options.signal
  })
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    hash.update(chunk)
    options.onBytes?.(chunk.length)
  }
  return hash
}

export async function sha256File(
  file: string,
  options: { signal?: AbortSignal; onBytes?: (n: number) => void } = {}
): Promise<string> {
  return (await hashFile(file, options)).digest('hex')
}

/** The git blob id of a file: what the hub sends as the ETag of a file kept in git rather than LFS. */
export async function gitBlobSha1(file: string): Promise<string> {
  const size = (await stat(file)).size
  const hash = createHash('sha1').update(`blob ${size}\0`)
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    hash.update(chunk)
  }
  return hash.digest('hex')
}

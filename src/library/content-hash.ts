import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'

/**
 * sha256 of a file's bytes and its size: how the library recognises an image that was moved or renamed. Only
 * regular files are read (a FIFO or device named like an image would never end); null when it is not one.
 */
export async function contentHash(path: string): Promise<{ hash: string; size: number } | null> {
  const info = await stat(path).catch(() => null)
  if (!info?.isFile()) return null
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer)
  return { hash: hash.digest('hex'), size: info.size }
}

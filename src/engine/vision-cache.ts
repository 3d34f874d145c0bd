import { createHash } from 'node:crypto'
import type { TileGrid } from './prompt.ts'

/**
 * Image features by content: a follow-up question or a re-run with another prompt on the same images (with the
 * same tiling options) skips decoding, resizing and the vision encoder. Bounded by bytes, least recently used out.
 */
export interface CachedVision {
  readonly features: Float32Array
  readonly grids: readonly TileGrid[]
  readonly tiles: number
}

export class VisionCache {
  private readonly entries = new Map<string, CachedVision>()
  private bytes = 0

  constructor(private readonly maxBytes = 64 * 1024 * 1024) {}

  get(key: string): CachedVision | undefined {
    const entry = this.entries.get(key)
    if (entry) {
      this.entries.delete(key)
      this.entries.set(key, entry)
    }
    return entry
  }

  set(key: string, entry: CachedVision): void {
    if (entry.features.byteLength > this.maxBytes) return
    const previous = this.entries.get(key)
    if (previous) {
      this.bytes -= previous.features.byteLength
      this.entries.delete(key)
    }
    this.entries.set(key, entry)
    this.bytes += entry.features.byteLength
    for (const [oldest, value] of this.entries) {
      if (this.bytes <= this.maxBytes) break
      this.entries.delete(oldest)
      this.bytes -= value.features.byteLength
    }
  }

  clear(): void {
    this.entries.clear()
    this.bytes = 0
  }

  get size(): number {
    return this.entries.size
  }
}

/** A key for a set of images (by content) and the options that change their features. */
export function visionKey(
  imageDigests: readonly string[],
  options: Readonly<Record<string, unknown>>
): string {
  const hash = createHash('sha256')
  for (const digest of imageDigests) hash.update(digest).update('\0')
  hash.update(JSON.stringify(options))
  return hash.digest('hex')
}

export function digest(bytes: Uint8Array, extra = ''): string {
  return createHash('sha256').update(extra).update(bytes).digest('hex')
}

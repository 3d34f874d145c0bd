import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { basename } from 'node:path'
import sharp from 'sharp'
import { heifKind } from '../engine/image/decode-heic.ts'
import { decodeHeicOffThread } from '../engine/image/heic-thread.ts'

/**
 * A hash of an image's decoded pixels (first page or frame, as stored: no rotation, no colour conversion) and
 * their layout, so a metadata write can be checked to have left the image itself untouched. HEIC goes through
 * libheif (sharp cannot decode HEVC), with its irot/imir applied, which a metadata write does not change either.
 */
export async function pixelHash(path: string): Promise<string> {
  const bytes = await readFile(path)
  if (heifKind(bytes) === 'heic') {
    // Off the calling thread: the app writes metadata from its main process.
    const image = await decodeHeicOffThread(bytes, {
      name: basename(path),
      maxPixels: Number.MAX_SAFE_INTEGER
    })
    return hash(image.width, image.height, image.channels, image.data)
  }
  const { data, info } = await sharp(bytes, { limitInputPixels: false, failOn: 'none' })
    .raw()
    .toBuffer({ resolveWithObject: true })
  return hash(info.width, info.height, info.channels, data)
}

function hash(width: number, height: number, channels: number, data: Uint8Array): string {
  return createHash('sha256').update(`${width}x${height}x${channels}:`).update(data).digest('hex')
}

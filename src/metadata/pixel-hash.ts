import { createHash } from 'node:crypto'
import sharp from 'sharp'

/**
 * A hash of an image's decoded pixels (first page or frame, as stored: no rotation, no colour conversion) and
 * their layout, so a metadata write can be checked to have left the image itself untouched.
 */
export async function pixelHash(path: string): Promise<string> {
  const { data, info } = await sharp(path, { limitInputPixels: false, failOn: 'none' })
    .raw()
    .toBuffer({ resolveWithObject: true })
  return createHash('sha256')
    .update(`${info.width}x${info.height}x${info.channels}:`)
    .update(data)
    .digest('hex')
}

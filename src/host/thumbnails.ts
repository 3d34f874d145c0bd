import sharp from 'sharp'
import type { Sharp } from 'sharp'
import { isSmolvlmError } from '../engine/errors.ts'
import { heifKind } from '../engine/image/decode-heic.ts'
import { decodeHeicOffThread } from '../engine/image/heic-thread.ts'
import { DEFAULT_MAX_PIXELS, MAX_IMAGE_FILE_BYTES, sniffFormat } from '../engine/image/decode-image.ts'
import { readRegularFile } from '../engine/read-file.ts'
import type { RawPreviewReader } from '../metadata/raw-preview.ts'
import { isRawFileName } from '../shared/images.ts'
import type { Thumbnail } from '../shared/contract.ts'
import { AppError } from '../shared/contract.ts'

export const THUMBNAIL_EDGE = 256

/** sharp's own limit (16383 x 16383), kept for thumbnails: they never feed the model. */
const THUMBNAIL_MAX_PIXELS = 268_402_689

/**
 * A small WebP of an image as a data: URL (the page's CSP allows img-src data:), orientation applied, plus the
 * original's upright size. sharp does the work on its own threads, so the main process is not blocked; HEIC is
 * decoded by libheif in WebAssembly on a worker thread (a 12-MP photo takes ~0.5-0.8 s, see architecture.md), and a
 * RAW file's thumbnail is made from its embedded preview, as its caption is.
 */
export async function makeThumbnail(
  path: string,
  name: string,
  rawPreviews?: RawPreviewReader
): Promise<Thumbnail> {
  try {
    let image: Sharp
    let width: number
    let height: number
    if (rawPreviews && isRawFileName(path)) {
      const preview = await rawPreviews.read(path, name)
      image = sharp(preview.bytes, { failOn: 'truncated' }).rotate()
      ;({ width, height } = preview)
    } else {
      // The engine's reading rules (a regular file, bounded) and format check: a FIFO or /dev/zero must not stall
      // the main process, and an SVG named .png must not reach librsvg (which would follow its references).
      const bytes = await readRegularFile(path, {
        maxBytes: MAX_IMAGE_FILE_BYTES,
        code: 'bad-image',
        label: name
      })
      if (sniffFormat(bytes) !== 'raster') throw new Error('not a supported raster image')
      if (heifKind(bytes) === 'heic') {
        // Decoded upright (irot/imir applied by libheif); sharp only scales. libheif decodes at full size, off
        // this (the main process's) thread, and only what the engine would describe: a 58 KB HEIC declaring
        // 16000 x 16000 took 5.5 s and left 2.5 GB resident; over the engine's limit it gets its sentence.
        const decoded = await decodeHeicOffThread(bytes, { name, maxPixels: DEFAULT_MAX_PIXELS })
        ;({ width, height } = decoded)
        image = sharp(decoded.data, { raw: { width, height, channels: decoded.channels } })
      } else {
        image = sharp(bytes, { failOn: 'truncated', limitInputPixels: THUMBNAIL_MAX_PIXELS, animated: false })
        const metadata = await image.metadata()
        const swap = (metadata.orientation ?? 1) >= 5
        width = (swap ? metadata.height : metadata.width) ?? 0
        height = (swap ? metadata.width : metadata.height) ?? 0
        image = image.rotate()
      }
    }
    const webp = await image
      .resize({ width: THUMBNAIL_EDGE, height: THUMBNAIL_EDGE, fit: 'inside', withoutEnlargement: true })
      .webp({ quality: 70 })
      .toBuffer()
    return { dataUrl: `data:image/webp;base64,${webp.toString('base64')}`, width, height }
  } catch (error) {
    if (isSmolvlmError(error)) throw new AppError('bad-image', error.message, { cause: error })
    throw new AppError('bad-image', `${name} could not be read as an image.`, { cause: error })
  }
}

/** Thumbnails by image id, most recently used kept (a grid of a few hundred images). */
export class ThumbnailCache {
  private readonly entries = new Map<string, Promise<Thumbnail>>()

  constructor(private readonly capacity = 512) {}

  get(id: string, make: () => Promise<Thumbnail>): Promise<Thumbnail> {
    const cached = this.entries.get(id)
    if (cached) {
      this.entries.delete(id)
      this.entries.set(id, cached)
      return cached
    }
    const made = make()
    made.catch(() => this.entries.delete(id))
    this.entries.set(id, made)
    while (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as string)
    return made
  }
}

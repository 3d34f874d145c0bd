/**
 * Camera RAW input through the full-size JPEG preview the camera embeds (ExifTool's JpgFromRaw, PreviewImage or
 * OtherImage), never by developing the sensor data: the preview is the camera's own rendering (its white balance,
 * picture style and lens corrections), which is what the photographer saw on the camera's screen.
 *
 * The preview is stored as the sensor was held; the RAW's Orientation tag says how to turn it. That value is
 * written into the preview's EXIF (jpeg-orientation.ts), so the engine applies it exactly once whatever the
 * preview carried itself. A RAW without a JPEG preview of at least MIN_PREVIEW_EDGE pixels is refused with a
 * sentence that says so, rather than described from a thumbnail.
 */
import { stat } from 'node:fs/promises'
import { basename, extname } from 'node:path'
import { ExifTool } from 'exiftool-vendored'
import sharp from 'sharp'
import { SmolvlmError } from '../engine/errors.ts'
import { MAX_IMAGE_FILE_BYTES } from '../engine/image/decode-image.ts'
import { fileErrorReason } from '../engine/image-paths.ts'
import { notRegular } from '../engine/read-file.ts'
import { isRawFileName } from '../shared/images.ts'
import { withOrientation } from './jpeg-orientation.ts'
import { exiftoolReason } from './metadata-writer.ts'

/** The embedded images that can be a full-size preview, in ExifTool's names. ThumbnailImage (160 px) is not one. */
export const PREVIEW_TAGS = ['JpgFromRaw', 'PreviewImage', 'OtherImage'] as const
export type PreviewTag = (typeof PREVIEW_TAGS)[number]

/**
 * The smallest preview described: one 512-pixel tile of the model's image grid. Older cameras' 160 x 120
 * thumbnails would be described from a smudge.
 */
export const MIN_PREVIEW_EDGE = 512

/**
 * The largest embedded preview read. ExifTool hands a preview over as base64 on its stdout (exiftool-vendored), so
 * a 400 MB DNG whose "preview" fills it took 62 s, 2.7 GB resident and ended in ExifTool's 30 s timeout (the one
 * ExifTool busy for every other RAW meanwhile); refused by its length, 0.5 s. A camera's full-size JPEG of 100 MP
 * (the engine's pixel limit) at a few bits per pixel is a few tens of MB.
 */
export const MAX_PREVIEW_BYTES = 64 * 1024 * 1024

export interface RawPreview {
  /** A JPEG whose EXIF holds only the RAW's orientation: what the engine decodes. */
  readonly bytes: Uint8Array
  /** The size described, orientation applied. */
  readonly width: number
  readonly height: number
  readonly tag: PreviewTag
}

/** "(Binary data 7375 bytes, use -b option to extract)" → 7375. */
function binaryLength(value: unknown): number {
  const match = typeof value === 'string' ? /^\(Binary data (\d+) bytes/.exec(value) : null
  return match ? Number(match[1]) : 0
}

/**
 * Reads RAW previews with one ExifTool process, started on the first RAW and kept until close(). One reader
 * per process that turns paths into images (the CLI, the worker, the host's thumbnails).
 */
export class RawPreviewReader {
  private exiftool: ExifTool | undefined

  constructor(private readonly options: { readonly maxPreviewBytes?: number } = {}) {}

  private tool(): ExifTool {
    // A RAW is a few tens of MB; ExifTool reads only its directories and the preview's bytes.
    this.exiftool ??= new ExifTool({ maxProcs: 1, taskTimeoutMillis: 30_000 })
    return this.exiftool
  }

  /**
   * The preview to describe for the RAW file at `path`, or a SmolvlmError('bad-image') naming the file: it does
   * not exist or is not a regular file, ExifTool cannot read it, it has no JPEG preview, or only a small one.
   */
  async read(path: string, name = basename(path)): Promise<RawPreview> {
    const fail = (reason: string, cause?: unknown) =>
      new SmolvlmError('bad-image', `${name} ${reason}.`, cause === undefined ? undefined : { cause })
    // ExifTool opens the path itself: refuse what the engine's reader would (a FIFO would hang it, a device never end).
    let info
    try {
      info = await stat(path)
    } catch (error) {
      throw fail(fileErrorReason(error), error)
    }
    const kind = notRegular(info)
    if (kind !== undefined) throw fail(kind)
    if (info.size > MAX_IMAGE_FILE_BYTES) throw fail('is too large to read')

    let tags: Record<string, unknown>
    try {
      tags = (await this.tool().readRaw(path, {
        readArgs: ['-n', '-FileType', '-Orientation', '-Error', ...PREVIEW_TAGS.map((tag) => `-${tag}`)]
      })) as Record<string, unknown>
    } catch (error) {
      throw fail(`could not be read as a RAW file (${exiftoolReason(error)})`, error)
    }
    if (typeof tags.Error === 'string') throw fail(`could not be read as a RAW file (${tags.Error})`)
    // Largest first: cameras store a full-size JpgFromRaw and a smaller PreviewImage, or one of them; a candidate
    // that is not a usable JPEG (some older cameras store other data under these names) gives way to the next.
    const candidates = PREVIEW_TAGS.map((t) => ({ tag: t, length: binaryLength(tags[t]) }))
      .filter((candidate) => candidate.length > 0)
      .sort((a, b) => b.length - a.length)
    if (candidates.length === 0) {
      // A text file or a JPEG given a RAW name: say what it is rather than that its preview is missing.
      const fileType = typeof tags.FileType === 'string' ? tags.FileType : undefined
      const expected = extname(path).slice(1).toUpperCase()
      if (fileType !== undefined && fileType !== expected && !isRawFileName(`x.${fileType}`)) {
        throw fail(`is not a RAW file (ExifTool reads it as ${fileType})`)
      }
      throw fail('has no embedded JPEG preview to describe (RAW sensor data is not developed here)')
    }
    // Never extracted: a preview over the limit (declared by its length, before a byte of it is read).
    const maxBytes = this.options.maxPreviewBytes ?? MAX_PREVIEW_BYTES
    const readable = candidates.filter((candidate) => candidate.length <= maxBytes)
    if (readable.length === 0) {
      const mb = (bytes: number) => `${Math.ceil(bytes / 2 ** 20)} MB`
      throw fail(
        `has an embedded preview of ${mb(candidates[0]!.length)}, more than the ${mb(maxBytes)} read`
      )
    }
    let first: SmolvlmError | undefined
    for (const { tag } of readable) {
      try {
        return await this.usablePreview(path, tag, Number(tags.Orientation), fail)
      } catch (error) {
        if (!(error instanceof SmolvlmError)) throw error
        first ??= error
      }
    }
    throw first!
  }

  /** One embedded image as the preview to describe, or the reason it cannot be. */
  private async usablePreview(
    path: string,
    tag: PreviewTag,
    rawOrientation: number,
    fail: (reason: string, cause?: unknown) => SmolvlmError
  ): Promise<RawPreview> {
    let jpeg: Buffer
    try {
      jpeg = await this.tool().extractBinaryTagToBuffer(tag, path)
    } catch (error) {
      throw fail(`has a preview that could not be extracted (${exiftoolReason(error)})`, error)
    }
    let size
    try {
      size = await sharp(jpeg, { failOn: 'truncated' }).metadata()
      if (size.format !== 'jpeg') throw new Error(`the preview is ${size.format}, not JPEG`)
    } catch (error) {
      throw fail('has an embedded preview that is not a readable JPEG', error)
    }
    if (Math.max(size.width, size.height) < MIN_PREVIEW_EDGE) {
      throw fail(
        `holds only a ${size.width} x ${size.height} preview, too small to describe ` +
          `(at least ${MIN_PREVIEW_EDGE} pixels on the longer side; RAW sensor data is not developed here)`
      )
    }
    const own = rawOrientation
    const orientation = Number.isInteger(own) && own >= 1 && own <= 8 ? own : (size.orientation ?? 1)
    let bytes: Uint8Array
    try {
      bytes = withOrientation(jpeg, orientation)
    } catch (error) {
      throw fail('has an embedded preview that is not a readable JPEG', error)
    }
    const turned = orientation >= 5
    return {
      bytes,
      width: turned ? size.height : size.width,
      height: turned ? size.width : size.height,
      tag
    }
  }

  async close(): Promise<void> {
    const tool = this.exiftool
    this.exiftool = undefined
    await tool?.end()
  }
}

/** A note for a RAW described from its preview, as the card and the CLI show it. */
export function previewNote(preview: { readonly width: number; readonly height: number }): string {
  return `described from the embedded preview, ${preview.width}×${preview.height}`
}

/** An image as the engine takes it (a path, or a RAW's preview bytes under the RAW's name) and the preview used. */
export interface DescribableImage {
  readonly input: string | { readonly name: string; readonly bytes: Uint8Array }
  readonly preview: RawPreview | undefined
}

/**
 * What to hand the engine for an image path: RAW files (by extension) become their embedded preview, everything
 * else stays a path the engine reads and decodes itself (HEIC included).
 */
export async function describableImage(path: string, reader: RawPreviewReader): Promise<DescribableImage> {
  if (!isRawFileName(path)) return { input: path, preview: undefined }
  const name = basename(path)
  const preview = await reader.read(path, name)
  return { input: { name, bytes: preview.bytes }, preview }
}

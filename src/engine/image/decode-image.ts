/**
 * Decoding an image file into 8-bit RGB(A) pixels with sharp (HEIC with libheif: decode-heic.ts), made to agree with what the Python reference
 * (PIL `Image.open` + `ImageOps.exif_transpose`) sees: measured identical pixels for baseline and progressive JPEG
 * (4:2:0, 4:2:2, 4:4:4), all 8 EXIF orientations, grey, grey+alpha, palette (with tRNS) and 16-bit RGB(A) PNG.
 * Deliberate differences: CMYK is colour-managed to sRGB (Pillow converts naively), and 16-bit grey maps to
 * value >> 8 like every other 16-bit mode (Pillow clips it to 255 instead).
 */
import { basename } from 'node:path'
import sharp, { type Metadata, type OutputInfo } from 'sharp'
import { SmolvlmError } from '../errors.ts'
import { isRawFileName } from '../../shared/images.ts'
import { readRegularFile } from '../read-file.ts'
import { decodeHeic, heifKind } from './decode-heic.ts'
import { checkPixelLimit } from './pixel-limit.ts'

export type ImageFormat = 'jpeg' | 'png' | 'webp' | 'gif' | 'tiff' | 'avif' | 'heic'

/** The formats named in "not supported" messages. */
const SUPPORTED = 'JPEG, PNG, WebP, GIF, TIFF, AVIF or HEIC'

export interface DecodedImage {
  readonly width: number
  readonly height: number
  /** 3 = RGB, 4 = RGBA with straight alpha; interleaved, row-major, no padding. */
  readonly channels: 3 | 4
  readonly hasAlpha: boolean
  readonly data: Uint8Array
  readonly format: ImageFormat
}

export interface DecodeOptions {
  /** Largest accepted width x height, checked from the header before any pixel is decoded. */
  readonly maxPixels?: number
  /** How error messages name the image; defaults to the file's name, or "The image" for bytes. */
  readonly name?: string
  /** Ends a read of the file that stalls (the answer is then a 'cancelled' error). */
  readonly signal?: AbortSignal
}

/**
 * The largest image file read: far above any photo (a 100-megapixel JPEG is ~50 MB), enough for an uncompressed
 * 16-bit TIFF of 60 megapixels. Larger files are refused before a byte is read.
 */
export const MAX_IMAGE_FILE_BYTES = 512 * 1024 * 1024

/**
 * 100 megapixels: above any common camera (a 12000x8000 photo is 96 MP) while bounding memory, since the RGBA
 * raster alone is 4 bytes per pixel. Full-resolution 108/200 MP phone modes exceed it; callers can raise it.
 */
export const DEFAULT_MAX_PIXELS = 100_000_000

/**
 * Abort only on truncated data. sharp's default ('warning') also rejects files with recoverable libjpeg warnings
 * ("extraneous bytes before marker", common from some cameras) that Pillow and every viewer open fine; 'none'
 * would accept a half-downloaded file with its missing part painted grey, which Pillow refuses by default
 * (ImageFile.LOAD_TRUNCATED_IMAGES = False) and which would get a misleading description.
 */
const FAIL_ON = 'truncated'

function formatOf(metadata: Metadata): ImageFormat | undefined {
  switch (metadata.format) {
    case 'jpeg':
    case 'png':
    case 'webp':
    case 'gif':
    case 'tiff':
      return metadata.format
    case 'heif':
      // The prebuilt libvips decodes AV1 (AVIF) but has no HEVC decoder: HEIC goes to decode-heic.ts by its brands.
      return metadata.compression === 'av1' ? 'avif' : undefined
    default:
      return undefined
  }
}

async function readInput(
  input: string | Uint8Array,
  name: string,
  signal: AbortSignal | undefined
): Promise<Uint8Array> {
  if (typeof input !== 'string') return input
  return readRegularFile(input, { maxBytes: MAX_IMAGE_FILE_BYTES, code: 'bad-image', label: name, signal })
}

/**
 * What the first bytes say the file is: one of the formats decoded here, 'svg' (refused before any parser sees
 * it: librsvg would resolve its file:// and http:// references and expand its XML entities), or undefined.
 */
export function sniffFormat(bytes: Uint8Array): 'raster' | 'svg' | undefined {
  const at = (offset: number, text: string) =>
    bytes.length >= offset + text.length &&
    [...text].every((char, i) => bytes[offset + i] === char.charCodeAt(0))
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'raster' // JPEG
  if (at(0, '\x89PNG\r\n\x1a\n')) return 'raster'
  if (at(0, 'GIF87a') || at(0, 'GIF89a')) return 'raster'
  if (at(0, 'RIFF') && at(8, 'WEBP')) return 'raster'
  if (at(0, 'II*\0') || at(0, 'MM\0*') || at(0, 'II+\0') || at(0, 'MM\0+')) return 'raster' // TIFF, BigTIFF
  if (at(4, 'ftyp')) return 'raster' // AVIF / HEIC / HEIF (decodeImage picks the decoder by the brands)
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, 4096)).toString('latin1')
  if (/^(\xef\xbb\xbf)?\s*</.test(head) && /<svg[\s>]/i.test(head)) return 'svg'
  return undefined
}

/**
 * Decodes JPEG, PNG, WebP, GIF (first frame), TIFF (first page), AVIF or HEIC/HEIF (primary image) into 8-bit sRGB(A), EXIF orientation
 * applied. Fails with 'image-too-large' before decoding pixels when the header's size exceeds `maxPixels`, and
 * with 'bad-image' for anything that is not a complete image in one of those formats.
 */
export async function decodeImage(
  input: string | Uint8Array,
  options: DecodeOptions = {}
): Promise<DecodedImage> {
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS
  if (!Number.isSafeInteger(maxPixels) || maxPixels < 1) {
    throw new RangeError(`maxPixels must be a positive whole number, not ${maxPixels}.`)
  }
  const name = options.name ?? (typeof input === 'string' ? basename(input) : 'The image')
  const bytes = await readInput(input, name, options.signal)
  if (bytes.length === 0) throw new SmolvlmError('bad-image', `${name} is empty (0 bytes).`)
  const sniffed = sniffFormat(bytes)
  if (sniffed === 'svg') {
    throw new SmolvlmError('bad-image', `${name} is in SVG format, which is not supported; use ${SUPPORTED}.`)
  }
  if (sniffed === undefined) {
    throw new SmolvlmError(
      'bad-image',
      `${name} is not an image that can be read (unsupported format or corrupt file).`
    )
  }
  // A RAW file reaching the engine as itself (not as its embedded JPEG preview, src/metadata/raw-preview.ts) would
  // decode as a TIFF: its first IFD, usually a thumbnail of a few hundred pixels. Refuse rather than describe that.
  if (isRawFileName(name) && !(bytes[0] === 0xff && bytes[1] === 0xd8)) {
    throw new SmolvlmError(
      'bad-image',
      `${name} is a camera RAW file; it is described from its embedded JPEG preview, which this caller did not extract.`
    )
  }
  if (heifKind(bytes) === 'heic') return decodeHeic(bytes, { name, maxPixels })

  let metadata: Metadata
  try {
    // No pixel limit here: reading the header is cheap, and the size check below gives the better message.
    metadata = await sharp(bytes, { failOn: FAIL_ON, limitInputPixels: false }).metadata()
  } catch (error) {
    throw new SmolvlmError(
      'bad-image',
      `${name} is not an image that can be read (unsupported format or corrupt file).`,
      { cause: error }
    )
  }
  const format = formatOf(metadata)
  if (format === undefined) {
    const kind = metadata.format === 'heif' ? 'HEIC' : metadata.format.toUpperCase()
    throw new SmolvlmError(
      'bad-image',
      `${name} is in ${kind} format, which is not supported; use ${SUPPORTED}.`
    )
  }
  // For multi-frame GIF/WebP/TIFF the header size is one frame's: only the first frame is decoded.
  checkPixelLimit(name, metadata.width, metadata.height, maxPixels)

  // Pillow ignores embedded ICC profiles, so the reference sees the stored RGB/grey values (a Display P3 photo's raw
  // numbers): ignore them too. CMYK is the exception: its values mean nothing on screen without a profile, so sharp
  // converts it with the embedded profile, or libvips' default CMYK profile when there is none.
  const ignoreIcc = metadata.space !== 'cmyk'
  let decoded: { data: Buffer; info: OutputInfo }
  try {
    decoded = await sharp(bytes, {
      failOn: FAIL_ON,
      limitInputPixels: maxPixels,
      ignoreIcc,
      autoOrient: true
    })
      // 8-bit sRGB out: grey is replicated to 3 channels, 16-bit samples keep their high byte (v >> 8), alpha stays.
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      // Not toUint8Array(): in sharp 0.35.5 it never frees its native copy (RSS grew by one raster per image,
      // measured 5.9 MB per 1600x1200 decode, while toBuffer() stays flat).
      .toBuffer({ resolveWithObject: true })
  } catch (error) {
    throw new SmolvlmError('bad-image', `${name} is damaged or truncated; its pixels could not be decoded.`, {
      cause: error
    })
  }
  const { data, info } = decoded
  if (info.channels !== 3 && info.channels !== 4) {
    throw new SmolvlmError(
      'bad-image',
      `${name} decoded to ${info.channels} channels instead of RGB or RGBA.`
    )
  }
  return {
    width: info.width,
    height: info.height,
    channels: info.channels,
    hasAlpha: info.channels === 4,
    // A plain Uint8Array view (sharp hands back a Node Buffer) so consumers and structured clone see one type.
    data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    format
  }
}

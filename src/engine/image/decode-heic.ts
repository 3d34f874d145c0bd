/**
 * HEIC (HEIF with HEVC-coded images: iPhone photos, macOS screenshots) through libheif compiled to WebAssembly
 * (libheif-js, the build heic-decode wraps). sharp's prebuilt libvips has no HEVC decoder, so these files cannot go
 * through sharp.
 *
 * libheif-js is used directly rather than through heic-decode: heic-decode decodes the first top-level image
 * instead of the file's primary one, and its error paths console.log libheif's messages, which would land on the
 * CLI's --json stdout. Here every failure becomes a SmolvlmError naming the file.
 *
 * Orientation: HEIF records rotation and mirroring as transformative properties (irot, imir) which libheif applies
 * while decoding, so the pixels come out upright. An EXIF Orientation stored in the file is descriptive only (HEIF,
 * ISO/IEC 23008-12, 6.5.x: "rotation metadata ... is ignored in the displaying process") and is not applied again.
 * Pillow + pillow-heif agree: the plugin decodes with the transformations and resets EXIF/XMP orientation to 1
 * when it opens the file, so ImageOps.exif_transpose does nothing more.
 *
 * The decode runs synchronously in WebAssembly on the calling thread (measured in docs/architecture.md).
 */
import { createRequire } from 'node:module'
import { SmolvlmError } from '../errors.ts'
import type { DecodedImage } from './decode-image.ts'
import { checkPixelLimit } from './pixel-limit.ts'

/** The part of libheif-js's embind API used here (its own .d.ts describes the raw module, not these wrappers). */
interface HeifError {
  readonly code: { readonly value: number }
  readonly message: string
}
type Handle = object
interface HeifPlane {
  readonly width: number
  readonly height: number
  readonly stride: number
  readonly data: Uint8Array
}
export interface LibHeif {
  heif_context_alloc(): object
  heif_context_free(context: object): void
  heif_context_read_from_memory(context: object, bytes: Uint8Array): HeifError
  heif_js_context_get_primary_image_handle(context: object): Handle | HeifError
  heif_image_handle_get_width(handle: Handle): number
  heif_image_handle_get_height(handle: Handle): number
  heif_image_handle_has_alpha_channel(handle: Handle): number
  heif_image_handle_release(handle: Handle): void
  heif_js_decode_image2(
    handle: Handle,
    colorspace: unknown,
    chroma: unknown
  ): Promise<{ image: object; channels: HeifPlane[] } | HeifError>
  heif_image_release(image: object): void
  readonly heif_colorspace: { readonly heif_colorspace_RGB: unknown }
  readonly heif_chroma: {
    readonly heif_chroma_interleaved_RGB: unknown
    readonly heif_chroma_interleaved_RGBA: unknown
  }
}

let libheif: LibHeif | undefined

/** Loaded on the first HEIC: compiling the 1.4 MB WebAssembly module is not worth paying at every start. */
function library(): LibHeif {
  libheif ??= createRequire(import.meta.url)('libheif-js/wasm-bundle') as LibHeif
  return libheif
}

/** Major and compatible brands of an ISO base media file (the ftyp box at the start), or [] for anything else. */
export function ftypBrands(bytes: Uint8Array): string[] {
  if (bytes.length < 16) return []
  const text = (start: number) => String.fromCharCode(...bytes.subarray(start, start + 4))
  if (text(4) !== 'ftyp') return []
  const size = ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0
  const end = Math.min(size, bytes.length, 4096)
  const brands = [text(8)]
  for (let at = 16; at + 4 <= end; at += 4) brands.push(text(at))
  return brands
}

/** Brands of HEVC-coded HEIF images and sequences (ISO/IEC 23008-12 Annex B). */
const HEIC_BRANDS = new Set(['heic', 'heix', 'heim', 'heis', 'hevc', 'hevx', 'hevm', 'hevs'])
/** Structural brands that say HEIF without naming the codec. */
const HEIF_BRANDS = new Set(['mif1', 'msf1'])

/**
 * Which decoder a file's ftyp brands call for: 'avif' (AV1, which sharp decodes), 'heic' (libheif here: HEVC, or
 * a plain HEIF whose codec the brands do not name), or undefined (not HEIF: an MP4, a QuickTime movie, …).
 */
export function heifKind(bytes: Uint8Array): 'avif' | 'heic' | undefined {
  const brands = ftypBrands(bytes)
  if (brands.some((brand) => brand === 'avif' || brand === 'avis')) return 'avif'
  if (brands.some((brand) => HEIC_BRANDS.has(brand) || HEIF_BRANDS.has(brand))) return 'heic'
  return undefined
}

/** What decoding a HEIC gave, as plain data: it also crosses from a worker thread (heic-thread.ts). */
export type HeicPixels =
  | {
      readonly ok: true
      readonly width: number
      readonly height: number
      readonly channels: 3 | 4
      readonly data: Uint8Array
    }
  | { readonly ok: false; readonly failure: 'unreadable' | 'damaged' | 'size'; readonly reason: string }
  | { readonly ok: false; readonly failure: 'too-large'; readonly width: number; readonly height: number }

/**
 * The primary image's pixels, or why not. Self-contained on purpose (no imports, no outer names, its helpers
 * inside): heic-thread.ts runs its source text in a worker thread, where the module around it does not exist.
 */
export async function heicPixels(lib: LibHeif, bytes: Uint8Array, maxPixels: number): Promise<HeicPixels> {
  const failed = (value: unknown): value is HeifError =>
    typeof value === 'object' && value !== null && 'code' in value && 'message' in value
  const context = lib.heif_context_alloc()
  let handle: Handle | undefined
  try {
    const read = lib.heif_context_read_from_memory(context, bytes)
    if (read.code.value !== 0) return { ok: false, failure: 'unreadable', reason: read.message }
    const primary = lib.heif_js_context_get_primary_image_handle(context)
    if (failed(primary)) return { ok: false, failure: 'unreadable', reason: primary.message }
    handle = primary
    // The handle's size is the displayed one (after irot): the limit is checked before decoding.
    const width = lib.heif_image_handle_get_width(handle)
    const height = lib.heif_image_handle_get_height(handle)
    if (width < 1 || height < 1)
      return { ok: false, failure: 'unreadable', reason: `it declares a ${width} x ${height} image` }
    if (width * height > maxPixels) return { ok: false, failure: 'too-large', width, height }
    const hasAlpha = lib.heif_image_handle_has_alpha_channel(handle) !== 0
    const channels = hasAlpha ? 4 : 3
    const decoded = await lib.heif_js_decode_image2(
      handle,
      lib.heif_colorspace.heif_colorspace_RGB,
      hasAlpha ? lib.heif_chroma.heif_chroma_interleaved_RGBA : lib.heif_chroma.heif_chroma_interleaved_RGB
    )
    if (failed(decoded) || !decoded)
      return { ok: false, failure: 'damaged', reason: decoded?.message ?? 'libheif returned no image' }
    try {
      const plane = decoded.channels[0]
      if (!plane || plane.width !== width || plane.height !== height)
        return { ok: false, failure: 'size', reason: 'unexpected plane size' }
      // Copied out row by row: the plane lives in the WebAssembly heap, which is reused once released.
      const rowBytes = width * channels
      const data = new Uint8Array(rowBytes * height)
      for (let y = 0; y < height; y++) {
        data.set(plane.data.subarray(y * plane.stride, y * plane.stride + rowBytes), y * rowBytes)
      }
      return { ok: true, width, height, channels, data }
    } finally {
      lib.heif_image_release(decoded.image)
    }
  } finally {
    if (handle) lib.heif_image_handle_release(handle)
    lib.heif_context_free(context)
  }
}

/** The image of heicPixels' answer, or the typed error naming the file. */
export function heicResult(pixels: HeicPixels, name: string, maxPixels: number): DecodedImage {
  if (pixels.ok) {
    const { width, height, channels, data } = pixels
    return { width, height, channels, hasAlpha: channels === 4, data, format: 'heic' }
  }
  switch (pixels.failure) {
    case 'too-large':
      checkPixelLimit(name, pixels.width, pixels.height, maxPixels)
      throw new SmolvlmError('image-too-large', `${name} is larger than the limit.`)
    case 'unreadable':
      throw new SmolvlmError(
        'bad-image',
        `${name} is not a HEIC/HEIF image that can be read (${pixels.reason}).`
      )
    case 'damaged':
      throw new SmolvlmError(
        'bad-image',
        `${name} is damaged or truncated; its pixels could not be decoded.`,
        {
          cause: new Error(pixels.reason)
        }
      )
    case 'size':
      throw new SmolvlmError('bad-image', `${name} decoded to an image of an unexpected size.`)
  }
}

/**
 * The primary image of a HEIF file as 8-bit RGB, or RGBA when it has an alpha plane; irot/imir applied by
 * libheif, EXIF orientation not (see above). Embedded colour profiles are ignored, as for every other format
 * (decode-image.ts). 'image-too-large' from the header's size before any pixel is decoded; 'bad-image' naming the
 * file for anything that cannot be parsed or decoded.
 */
export async function decodeHeic(
  bytes: Uint8Array,
  options: { readonly name: string; readonly maxPixels: number }
): Promise<DecodedImage> {
  return heicResult(await heicPixels(library(), bytes, options.maxPixels), options.name, options.maxPixels)
}

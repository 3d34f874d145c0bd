/**
 * Flattening transparency onto white exactly as the reference does: Python's Idefics3 `convert_to_rgb` calls
 * `Image.alpha_composite(Image.new('RGBA', size, (255, 255, 255)), image)` and then `.convert('RGB')`, so the
 * arithmetic below is Pillow's integer formula (src/libImaging/AlphaComposite.c, scalar path), specialised to an
 * opaque white destination. Checked against Pillow 12.3 for every (value, alpha) pair.
 */
import type { Rgb8Image, Rgba8Image } from './raster.ts'

/** Fractional bits in Pillow's blend coefficients (more would overflow its 32-bit intermediates). */
const PRECISION_BITS = 7

/** Pillow's SHIFTFORDIV255: a division by 255 (rounded by the caller's +0x80) without a divide. */
function shiftForDiv255(a: number): number {
  return ((a >>> 8) + a) >>> 8
}

/** One channel of `src` over an opaque white pixel (destination value 255, destination alpha 255). */
function overWhite(value: number, alpha: number): number {
  if (alpha === 0) return 255 // Pillow copies the destination pixel when the source is fully transparent.
  const blend = 255 * (255 - alpha) // dst.a * (255 - src.a)
  const outAlpha255 = alpha * 255 + blend
  const coef1 = Math.floor((alpha * 255 * 255 * (1 << PRECISION_BITS)) / outAlpha255)
  const coef2 = 255 * (1 << PRECISION_BITS) - coef1
  const tmp = value * coef1 + 255 * coef2
  return shiftForDiv255(tmp + (0x80 << PRECISION_BITS)) >>> PRECISION_BITS
}

/** Composites an RGBA image over opaque white and drops the alpha channel. */
export function compositeOverWhite(image: Rgba8Image): Rgb8Image {
  const { width, height, data } = image
  const pixels = width * height
  if (data.length !== pixels * 4) {
    throw new RangeError(
      `A ${width}x${height} RGBA raster needs width x height x 4 bytes, not ${data.length}.`
    )
  }
  const out = new Uint8Array(pixels * 3)
  for (let i = 0, o = 0; i < data.length; i += 4, o += 3) {
    const alpha = data[i + 3]
    if (alpha === 255) {
      // Fully opaque: Pillow's formula returns the source value unchanged (checked for all 256 values).
      out[o] = data[i]
      out[o + 1] = data[i + 1]
      out[o + 2] = data[i + 2]
    } else {
      out[o] = overWhite(data[i], alpha)
      out[o + 1] = overWhite(data[i + 1], alpha)
      out[o + 2] = overWhite(data[i + 2], alpha)
    }
  }
  return { width, height, data: out }
}

/** A decoded raster with or without alpha, as `decodeImage` returns it. */
export interface RgbOrRgba8Image {
  readonly width: number
  readonly height: number
  readonly channels: 3 | 4
  readonly data: Uint8Array
}

/**
 * The RGB image the model sees: transparency flattened onto white as the reference's `convert_to_rgb` does;
 * opaque images pass through without a copy.
 */
export function toRgbOverWhite(image: RgbOrRgba8Image): Rgb8Image {
  const { width, height, data } = image
  return image.channels === 4 ? compositeOverWhite({ width, height, data }) : { width, height, data }
}

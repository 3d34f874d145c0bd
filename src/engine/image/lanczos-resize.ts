/**
 * Lanczos resampling that reproduces Pillow's `Image.resize(size, Image.LANCZOS)` on 8-bit RGB images byte for
 * byte (Pillow's `ImagingResample` in src/libImaging/Resample.c, 8 bpc path, box = whole image). The Python
 * Idefics3 processor resizes with it, so our pixel_values only match the reference if every step below is the same:
 * the kernel evaluated in double precision, normalised per output pixel, converted to 22-bit fixed point with
 * round-half-away-from-zero, a horizontal pass then a vertical pass with an 8-bit clip in between.
 */
import type { Rgb8Image } from './raster.ts'

/** Pillow's LANCZOS filter is a 3-lobe windowed sinc. */
const LANCZOS_SUPPORT = 3

/** Fractional bits of the fixed-point coefficients: 32 - 8 - 2, leaving room for negative lobes and overshoot. */
const PRECISION_BITS = 22
const ONE = 1 << PRECISION_BITS

const CHANNELS = 3

function sinc(x: number): number {
  if (x === 0) return 1
  const px = x * Math.PI
  return Math.sin(px) / px
}

/** Pillow's `lanczos_filter`: the window is half-open, [-3, 3). */
function lanczos(x: number): number {
  return -LANCZOS_SUPPORT <= x && x < LANCZOS_SUPPORT ? sinc(x) * sinc(x / LANCZOS_SUPPORT) : 0
}

/**
 * For every output index along one axis: the first input index it reads, how many inputs it reads, and their
 * fixed-point weights (row `i` of `weights` starts at `i * taps`; unused tail entries are 0).
 */
export interface AxisCoefficients {
  readonly first: Int32Array
  readonly count: Int32Array
  readonly weights: Int32Array
  readonly taps: number
}

/** Pillow's `precompute_coeffs` followed by `normalize_coeffs_8bpc`, with the same double arithmetic in the same order. */
function axisCoefficients(inSize: number, outSize: number): AxisCoefficients {
  const scale = inSize / outSize
  // When enlarging the kernel keeps its natural width; when reducing it is stretched to cover the source pixels.
  const filterScale = Math.max(scale, 1)
  const support = LANCZOS_SUPPORT * filterScale
  const taps = Math.ceil(support) * 2 + 1
  const invFilterScale = 1 / filterScale

  const first = new Int32Array(outSize)
  const count = new Int32Array(outSize)
  const weights = new Int32Array(outSize * taps)
  const raw = new Float64Array(taps)

  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale
    // C casts to int, which truncates toward zero (not floor); negative results are clamped to 0 anyway.
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0)
    const xmax = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin
    let total = 0
    for (let x = 0; x < xmax; x++) {
      const w = lanczos((x + xmin - center + 0.5) * invFilterScale)
      raw[x] = w
      total += w
    }
    const row = xx * taps
    for (let x = 0; x < xmax; x++) {
      const k = total !== 0 ? raw[x] / total : raw[x]
      // Round half away from zero, as `(int)(±0.5 + k * (1 << PRECISION_BITS))` does.
      weights[row + x] = Math.trunc(k < 0 ? -0.5 + k * ONE : 0.5 + k * ONE)
    }
    first[xx] = xmin
    count[xx] = xmax
  }
  return { first, count, weights, taps }
}

/** The per-pass loops, callable on the main thread and, as source text, inside worker threads (resize-pool.ts). */
export interface LanczosPasses {
  /** Source rows [rowStart, rowEnd) resampled horizontally into `out`, whose row 0 is source row `outRowOffset`. */
  horizontalRows(
    src: Uint8Array,
    srcWidth: number,
    rowStart: number,
    rowEnd: number,
    outWidth: number,
    c: AxisCoefficients,
    out: Uint8Array,
    outRowOffset: number
  ): void
  /** Output rows [yyStart, yyEnd) of the vertical pass over `src` (rows counted from `srcRowOffset`). */
  verticalRows(
    src: Uint8Array,
    width: number,
    yyStart: number,
    yyEnd: number,
    c: AxisCoefficients,
    srcRowOffset: number,
    out: Uint8Array
  ): void
}

/**
 * Builds the pass functions. It must stay self-contained (no reference to anything outside its body): worker threads
 * run its source text.
 */
export function lanczosPasses(): LanczosPasses {
  const PRECISION = 22
  // Accumulators start at one half so that the final `>> PRECISION` rounds to nearest.
  const HALF = 1 << (PRECISION - 1)
  const CHANNELS = 3

  /**
   * Pillow's `clip8`: arithmetic shift of the accumulator, then clamp to 0..255. The accumulators use `Math.imul` and
   * `| 0` so they are C `int`s: V8 stays on int32 arithmetic, and should a sum ever pass 2^31 it would wrap exactly as
   * Pillow's does (its lookup table covers every int32 >> 22, so the clamp then agrees).
   */
  const clip8 = (sum: number): number => {
    const v = sum >> PRECISION
    return v < 0 ? 0 : v > 255 ? 255 : v
  }

  return {
    horizontalRows(src, srcWidth, rowStart, rowEnd, outWidth, c, out, outRowOffset) {
      const { first, count, weights, taps } = c
      const srcStride = srcWidth * CHANNELS
      let o = (rowStart - outRowOffset) * outWidth * CHANNELS
      for (let y = rowStart; y < rowEnd; y++) {
        const rowBase = y * srcStride
        for (let xx = 0; xx < outWidth; xx++) {
          const n = count[xx]
          const kBase = xx * taps
          let p = rowBase + first[xx] * CHANNELS
          let s0 = HALF
          let s1 = HALF
          let s2 = HALF
          for (let x = 0; x < n; x++) {
            const k = weights[kBase + x]
            s0 = (s0 + Math.imul(src[p], k)) | 0
            s1 = (s1 + Math.imul(src[p + 1], k)) | 0
            s2 = (s2 + Math.imul(src[p + 2], k)) | 0
            p += CHANNELS
          }
          out[o] = clip8(s0)
          out[o + 1] = clip8(s1)
          out[o + 2] = clip8(s2)
          o += CHANNELS
        }
      }
    },

    // Pillow sums over the taps per output pixel; integer addition is associative and the sums stay far below 2^31,
    // so accumulating whole source rows (four at a time) into an Int32 row buffer gives the same values while reading
    // memory sequentially (measured ~25% faster than Pillow's loop order in V8, the four-row sweep ~15% more).
    verticalRows(src, width, yyStart, yyEnd, c, srcRowOffset, out) {
      const stride = width * CHANNELS
      const acc = new Int32Array(stride)
      const { first, count, weights, taps } = c
      for (let yy = yyStart; yy < yyEnd; yy++) {
        acc.fill(HALF)
        const n = count[yy]
        const kBase = yy * taps
        const base = (first[yy] - srcRowOffset) * stride
        let y = 0
        for (; y + 3 < n; y += 4) {
          const k0 = weights[kBase + y]
          const k1 = weights[kBase + y + 1]
          const k2 = weights[kBase + y + 2]
          const k3 = weights[kBase + y + 3]
          const r0 = base + y * stride
          const r1 = r0 + stride
          const r2 = r1 + stride
          const r3 = r2 + stride
          for (let i = 0; i < stride; i++) {
            acc[i] =
              (acc[i] +
                Math.imul(src[r0 + i], k0) +
                Math.imul(src[r1 + i], k1) +
                Math.imul(src[r2 + i], k2) +
                Math.imul(src[r3 + i], k3)) |
              0
          }
        }
        for (; y + 1 < n; y += 2) {
          const k0 = weights[kBase + y]
          const k1 = weights[kBase + y + 1]
          const r0 = base + y * stride
          const r1 = r0 + stride
          for (let i = 0; i < stride; i++) {
            acc[i] = (acc[i] + Math.imul(src[r0 + i], k0) + Math.imul(src[r1 + i], k1)) | 0
          }
        }
        if (y < n) {
          const k = weights[kBase + y]
          const r0 = base + y * stride
          for (let i = 0; i < stride; i++) acc[i] = (acc[i] + Math.imul(src[r0 + i], k)) | 0
        }
        const outBase = yy * stride
        for (let i = 0; i < stride; i++) out[outBase + i] = clip8(acc[i])
      }
    }
  }
}

const passes = lanczosPasses()

/** The work of one resize: which passes run, their coefficients, and the band of source rows the first pass reads. */
export interface ResizePlan {
  readonly width: number
  readonly height: number
  readonly horizontal: AxisCoefficients | null
  readonly vertical: AxisCoefficients | null
  /** Source rows [firstRow, lastRow) that the vertical pass reads (all rows when there is no vertical pass). */
  readonly firstRow: number
  readonly lastRow: number
}

/** Validates the sizes and computes the coefficients; null when the size is unchanged. */
export function planResize(image: Rgb8Image, width: number, height: number): ResizePlan | null {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`Cannot resize to ${width}x${height}: sizes must be whole numbers of at least 1.`)
  }
  if (image.width < 1 || image.height < 1 || image.data.length !== image.width * image.height * CHANNELS) {
    throw new RangeError(
      `A ${image.width}x${image.height} RGB raster needs width x height x 3 bytes, not ${image.data.length}.`
    )
  }
  if (width === image.width && height === image.height) return null
  // Pillow computes the vertical coefficients first so the horizontal pass can skip source rows no output row reads.
  const vertical = height !== image.height ? axisCoefficients(image.height, height) : null
  return {
    width,
    height,
    horizontal: width !== image.width ? axisCoefficients(image.width, width) : null,
    vertical,
    firstRow: vertical ? vertical.first[0] : 0,
    lastRow: vertical ? vertical.first[height - 1] + vertical.count[height - 1] : image.height
  }
}

/**
 * Resizes an RGB image to `width` x `height` exactly as Pillow's `Image.resize((width, height), Image.LANCZOS)`
 * (reducing_gap None) does. Works for enlarging and reducing, independently per axis.
 */
export function resizeLanczos(image: Rgb8Image, width: number, height: number): Rgb8Image {
  const plan = planResize(image, width, height)
  // Pillow's Python `resize` returns a copy when the size is unchanged.
  if (!plan) return { width, height, data: image.data.slice() }
  let data = image.data
  let rowOffset = 0
  if (plan.horizontal) {
    const band = new Uint8Array((plan.lastRow - plan.firstRow) * width * CHANNELS)
    passes.horizontalRows(
      data,
      image.width,
      plan.firstRow,
      plan.lastRow,
      width,
      plan.horizontal,
      band,
      plan.firstRow
    )
    data = band
    rowOffset = plan.firstRow
  }
  if (plan.vertical) {
    const out = new Uint8Array(width * height * CHANNELS)
    passes.verticalRows(data, width, 0, height, plan.vertical, rowOffset, out)
    data = out
  }
  return { width, height, data }
}

import { SmolvlmError } from './errors.ts'
import type { PreprocessConfig } from './model-files.ts'
import type { TileGrid } from './prompt.ts'
import { resizeLanczos } from './image/lanczos-resize.ts'
import type { Rgb8Image } from './image/raster.ts'

/**
 * Idefics3 image preprocessing, as the Python slow processor (transformers' Idefics3ImageProcessor, PIL path)
 * does it: resize so the longest edge equals `longestEdge` (up or down, making the short side even), resize up
 * to whole tiles, cut row-major tiles, append the global frame (the tiled image squeezed to one tile), then
 * rescale and normalise into channels-first float32.
 */

export interface PreprocessOptions {
  /** Split into tiles plus a global frame (default: the model's do_image_splitting). */
  readonly doImageSplitting?: boolean
  /** Override size.longest_edge (smaller = fewer tiles = faster). */
  readonly longestEdge?: number
}

export interface Size {
  readonly width: number
  readonly height: number
}

/** Python's MAX_IMAGE_SIZE in image_processing_idefics3: no side may exceed it after the first resize. */
const MAX_IMAGE_SIZE = 4096

/** Size after "resize to longest edge": python int() truncation, odd short side bumped to even, min 1. */
export function longestEdgeSize(size: Size, longestEdge: number): Size {
  let { width, height } = size
  const aspect = width / height
  if (width >= height) {
    width = longestEdge
    height = Math.trunc(width / aspect)
    if (height % 2 !== 0) height += 1
  } else {
    height = longestEdge
    width = Math.trunc(height * aspect)
    if (width % 2 !== 0) width += 1
  }
  height = Math.max(height, 1)
  width = Math.max(width, 1)
  // Second rule of the reference: scale below MAX_IMAGE_SIZE (a no-op for longest edges up to 4096).
  const boundAspect = width / height
  if (width >= height && width > MAX_IMAGE_SIZE) {
    width = MAX_IMAGE_SIZE
    height = Math.trunc(width / boundAspect)
  } else if (height > width && height > MAX_IMAGE_SIZE) {
    height = MAX_IMAGE_SIZE
    width = Math.trunc(height * boundAspect)
  }
  return { width: Math.max(width, 1), height: Math.max(height, 1) }
}

/** Size after "resize for vision encoder": both sides rounded up to whole tiles, keeping the aspect roughly. */
export function tileMultipleSize(size: Size, tileSize: number): Size {
  let { width, height } = size
  const aspect = width / height
  if (width >= height) {
    width = Math.ceil(width / tileSize) * tileSize
    height = Math.trunc(width / aspect)
    height = Math.ceil(height / tileSize) * tileSize
  } else {
    height = Math.ceil(height / tileSize) * tileSize
    width = Math.trunc(height * aspect)
    width = Math.ceil(width / tileSize) * tileSize
  }
  return { width, height }
}

export interface ImagePlan {
  readonly resized: Size
  readonly tiled: Size | null
  readonly grid: TileGrid
  readonly frames: number
}

/** The sizes and tile grid for an image, without touching pixels. */
export function planImage(size: Size, config: PreprocessConfig, options: PreprocessOptions = {}): ImagePlan {
  const split = options.doImageSplitting ?? config.doImageSplitting
  const longestEdge = options.longestEdge ?? config.longestEdge
  const tile = config.tileSize
  const resized = longestEdgeSize(size, longestEdge)
  if (!split) return { resized, tiled: null, grid: { rows: 0, cols: 0 }, frames: 1 }
  const tiled = tileMultipleSize(resized, tile)
  if (tiled.height <= tile && tiled.width <= tile) {
    return { resized, tiled, grid: { rows: 0, cols: 0 }, frames: 1 }
  }
  const rows = Math.ceil(tiled.height / tile)
  const cols = Math.ceil(tiled.width / tile)
  return { resized, tiled, grid: { rows, cols }, frames: rows * cols + 1 }
}

/** A Pillow-exact Lanczos resize: resizeLanczos, or a ResizePool's parallel one (same bytes). */
export type Resize = (image: Rgb8Image, width: number, height: number) => Rgb8Image | Promise<Rgb8Image>

/** Resizes with Pillow's Lanczos, skipping the work when the size already matches (as PIL's resize does). */
async function resizeTo(image: Rgb8Image, size: Size, resize: Resize): Promise<Rgb8Image> {
  if (image.width === size.width && image.height === size.height) return image
  return resize(image, size.width, size.height)
}

/**
 * The 256 possible normalised values of each channel. The reference computes uint8 × rescale_factor in float64,
 * stores float32, then (x − mean) / std in float32; Math.fround after each step reproduces that rounding.
 */
function normalisationTable(config: PreprocessConfig): Float32Array[] {
  return [0, 1, 2].map((channel) => {
    const table = new Float32Array(256)
    const mean = Math.fround(config.imageMean[channel])
    const std = Math.fround(config.imageStd[channel])
    for (let v = 0; v < 256; v++) {
      const rescaled = Math.fround(v * config.rescaleFactor)
      table[v] = Math.fround(Math.fround(rescaled - mean) / std)
    }
    return table
  })
}

/** Writes a tile×tile window of `image` at (x0, y0) into `out` at `offset`, channels first, normalised. */
function writeFrame(
  image: Rgb8Image,
  x0: number,
  y0: number,
  tile: number,
  tables: Float32Array[],
  out: Float32Array,
  offset: number
): void {
  const plane = tile * tile
  const [red, green, blue] = tables
  for (let y = 0; y < tile; y++) {
    let src = ((y0 + y) * image.width + x0) * 3
    const row = offset + y * tile
    for (let x = 0; x < tile; x++, src += 3) {
      out[row + x] = red[image.data[src]]
      out[row + plane + x] = green[image.data[src + 1]]
      out[row + 2 * plane + x] = blue[image.data[src + 2]]
    }
  }
}

export interface PreprocessedImages {
  /** [frames, 3, tile, tile] float32, frames of all images in order (each image's tiles, then its global frame). */
  readonly pixelValues: Float32Array
  readonly frames: number
  readonly tileSize: number
  readonly grids: readonly TileGrid[]
}

export function preprocessImage(
  image: Rgb8Image,
  config: PreprocessConfig,
  options: PreprocessOptions = {},
  resize: Resize = resizeLanczos
) {
  return preprocessImages([image], config, options, resize)
}

export async function preprocessImages(
  images: readonly Rgb8Image[],
  config: PreprocessConfig,
  options: PreprocessOptions = {},
  resize: Resize = resizeLanczos
): Promise<PreprocessedImages> {
  const tile = config.tileSize
  const plans = images.map((image) => planImage(image, config, options))
  const frames = plans.reduce((sum, plan) => sum + plan.frames, 0)
  const frameSize = 3 * tile * tile
  let pixelValues: Float32Array
  try {
    pixelValues = new Float32Array(frames * frameSize)
  } catch (cause) {
    throw new SmolvlmError('out-of-memory', `Not enough memory for ${frames} image tiles.`, { cause })
  }
  const tables = normalisationTable(config)
  let frame = 0
  for (const [index, image] of images.entries()) {
    const plan = plans[index]
    const resized = await resizeTo(image, plan.resized, resize)
    const square = { width: tile, height: tile }
    if (!plan.tiled) {
      writeFrame(
        await resizeTo(resized, square, resize),
        0,
        0,
        tile,
        tables,
        pixelValues,
        frame++ * frameSize
      )
      continue
    }
    const tiled = await resizeTo(resized, plan.tiled, resize)
    for (let r = 0; r < plan.grid.rows; r++) {
      for (let c = 0; c < plan.grid.cols; c++) {
        writeFrame(tiled, c * tile, r * tile, tile, tables, pixelValues, frame++ * frameSize)
      }
    }
    writeFrame(await resizeTo(tiled, square, resize), 0, 0, tile, tables, pixelValues, frame++ * frameSize)
  }
  return { pixelValues, frames, tileSize: tile, grids: plans.map((plan) => plan.grid) }
}

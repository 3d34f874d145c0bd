import { SmolvlmError } from '../errors.ts'

/** "12.2 megapixels" or "4096 pixels". */
export function pixelCount(pixels: number): string {
  return pixels >= 1e6 ? `${Math.round(pixels / 1e5) / 10} megapixels` : `${pixels} pixels`
}

/**
 * The decompression-bomb guard, from the size a header declares, before any pixel is decoded: 'image-too-large'
 * when width x height exceeds maxPixels. Every decoder (sharp, libheif) calls it with its header's size.
 */
export function checkPixelLimit(name: string, width: number, height: number, maxPixels: number): void {
  const pixels = width * height
  if (pixels > maxPixels) {
    throw new SmolvlmError(
      'image-too-large',
      `${name} is ${width} x ${height} pixels (${pixelCount(pixels)}); the limit is ${pixelCount(maxPixels)}.`
    )
  }
}

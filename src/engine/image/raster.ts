/** An 8-bit RGB raster: interleaved R,G,B bytes, row-major, no row padding (length = width * height * 3). */
export interface Rgb8Image {
  readonly width: number
  readonly height: number
  readonly data: Uint8Array
}

/** An 8-bit RGBA raster: interleaved R,G,B,A bytes with straight (not premultiplied) alpha, no row padding. */
export interface Rgba8Image {
  readonly width: number
  readonly height: number
  readonly data: Uint8Array
}

/**
 * A JPEG with its EXIF Orientation set to a given value and nothing else of its EXIF: the embedded preview of a RAW
 * file is stored as the sensor saw it, and the RAW's own Orientation tag says how to turn it. Writing that value
 * into the preview's APP1 lets the engine apply it exactly once (sharp autoOrient), whatever the preview carried.
 * Only marker segments before the scan are touched; the compressed image data is copied byte for byte.
 */

const SOI = 0xd8
const SOS = 0xda
const APP1 = 0xe1
const EXIF_HEADER = [0x45, 0x78, 0x69, 0x66, 0, 0] // "Exif\0\0"

/** An APP1 segment holding a big-endian TIFF with one IFD entry: Orientation (0x0112, SHORT) = orientation. */
function orientationSegment(orientation: number): Uint8Array {
  const body = [
    ...EXIF_HEADER,
    0x4d,
    0x4d,
    0x00,
    0x2a,
    0,
    0,
    0,
    8, // "MM", 42, IFD0 at 8
    0,
    1, // one entry
    0x01,
    0x12,
    0,
    3,
    0,
    0,
    0,
    1,
    0,
    orientation,
    0,
    0, // Orientation, SHORT, count 1, value
    0,
    0,
    0,
    0 // no next IFD
  ]
  const length = body.length + 2
  return Uint8Array.from([0xff, APP1, length >> 8, length & 0xff, ...body])
}

const isExifApp1 = (jpeg: Uint8Array, at: number): boolean =>
  jpeg[at + 1] === APP1 && EXIF_HEADER.every((byte, i) => jpeg[at + 4 + i] === byte)

/**
 * The JPEG with its EXIF APP1 segments replaced by one that holds only `orientation` (1-8). Throws on bytes that
 * are not a JPEG with well-formed marker segments before its scan.
 */
export function withOrientation(jpeg: Uint8Array, orientation: number): Uint8Array {
  if (!Number.isInteger(orientation) || orientation < 1 || orientation > 8) {
    throw new RangeError(`EXIF orientation must be 1 to 8, not ${orientation}`)
  }
  if (jpeg[0] !== 0xff || jpeg[1] !== SOI) throw new Error('not a JPEG (no SOI marker)')
  const kept: Uint8Array[] = [jpeg.subarray(0, 2), orientationSegment(orientation)]
  let at = 2
  for (;;) {
    if (at + 4 > jpeg.length || jpeg[at] !== 0xff) throw new Error('a JPEG marker segment is damaged')
    const marker = jpeg[at + 1]!
    if (marker === 0xff) {
      at += 1 // fill byte
      continue
    }
    if (marker === SOS) break
    const length = (jpeg[at + 2]! << 8) | jpeg[at + 3]!
    if (length < 2 || at + 2 + length > jpeg.length) throw new Error('a JPEG marker segment is damaged')
    if (!isExifApp1(jpeg, at)) kept.push(jpeg.subarray(at, at + 2 + length))
    at += 2 + length
  }
  kept.push(jpeg.subarray(at))
  const out = new Uint8Array(kept.reduce((n, part) => n + part.length, 0))
  let offset = 0
  for (const part of kept) {
    out.set(part, offset)
    offset += part.length
  }
  return out
}

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { crc32, deflateSync } from 'node:zlib'
import sharp from 'sharp'
import { afterAll, describe, expect, test } from 'vitest'
import { toRgbOverWhite } from '../../../src/engine/image/alpha-composite.ts'
import { DEFAULT_MAX_PIXELS, decodeImage } from '../../../src/engine/image/decode-image.ts'
import type { DecodedImage } from '../../../src/engine/image/decode-image.ts'
import { FIXTURES, IDENTICAL, difference, index, readPng } from './resample-fixtures.ts'

const fixture = (file: string): Uint8Array => readFileSync(FIXTURES + file)

/** The RGB triple at (x, y). */
function pixel(image: DecodedImage, x: number, y: number): number[] {
  const i = (y * image.width + x) * image.channels
  return [...image.data.subarray(i, i + 3)]
}

/** Resolves to the SmolvlmError's code and message, or fails the test if decoding succeeds. */
async function failure(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise
  } catch (error) {
    const { code, message } = error as { code: string; message: string }
    return { code, message }
  }
  throw new Error('expected decodeImage to fail')
}

/** A PNG whose header claims width x height but whose image data is a single empty row. */
function pngHeaderOnly(width: number, height: number): Uint8Array {
  const chunk = (type: string, body: Buffer): Buffer => {
    const typed = Buffer.concat([Buffer.from(type, 'latin1'), body])
    const out = Buffer.alloc(12 + body.length)
    out.writeUInt32BE(body.length, 0)
    typed.copy(out, 4)
    out.writeUInt32BE(crc32(typed), 8 + body.length)
    return out
  }
  const header = Buffer.alloc(13)
  header.writeUInt32BE(width, 0)
  header.writeUInt32BE(height, 4)
  header.set([8, 2, 0, 0, 0], 8) // 8-bit RGB
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
  return Buffer.concat([
    signature,
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.alloc(1))),
    chunk('IEND', Buffer.alloc(0))
  ])
}

describe('decodeImage gives the pixels the Python reference sees (PIL open, exif_transpose, alpha over white)', () => {
  test.for(index.decode.map((v) => [v.file, v] as const))('%s', async ([, vector]) => {
    const decoded = await decodeImage(FIXTURES + vector.file)
    const expected = await readPng(vector.expected)
    const rgb = toRgbOverWhite(decoded)
    expect({
      format: decoded.format,
      hasAlpha: decoded.hasAlpha,
      width: rgb.width,
      height: rgb.height
    }).toEqual({
      format: vector.format,
      hasAlpha: vector.hasAlpha ?? false,
      width: expected.width,
      height: expected.height
    })
    expect(difference(rgb.data, expected.data)).toEqual(IDENTICAL)
  })
})

describe('decodeImage', () => {
  test('decodes from bytes as well as from a path', async () => {
    const fromPath = await decodeImage(FIXTURES + 'png-rgba.png')
    const fromBytes = await decodeImage(fixture('png-rgba.png'))
    expect(fromBytes).toEqual(fromPath)
  })

  test('keeps the alpha channel unchanged (straight, not premultiplied)', async () => {
    const rgba = Uint8Array.of(255, 0, 0, 0, 0, 255, 0, 64, 0, 0, 255, 128, 10, 20, 30, 255)
    const png = await sharp(rgba, { raw: { width: 2, height: 2, channels: 4 } })
      .png()
      .toBuffer()
    const decoded = await decodeImage(png)
    expect({ channels: decoded.channels, hasAlpha: decoded.hasAlpha, data: decoded.data }).toEqual({
      channels: 4,
      hasAlpha: true,
      data: rgba
    })
  })

  test('opens a JPEG with extraneous bytes before a marker (a libjpeg warning), with the same pixels', async () => {
    const jpeg = fixture('jpeg-baseline-420.jpg')
    const sos = Buffer.from(jpeg).indexOf(Buffer.from([0xff, 0xda]))
    const junk = Buffer.concat([jpeg.subarray(0, sos), Uint8Array.of(1, 2, 3, 4), jpeg.subarray(sos)])
    expect((await decodeImage(junk)).data).toEqual((await decodeImage(jpeg)).data)
  })

  test('decodes a lossless AVIF to its exact pixels', async () => {
    const rgb = Uint8Array.from({ length: 8 * 8 * 3 }, (_, i) => (i * 37) & 255)
    const avif = await sharp(rgb, { raw: { width: 8, height: 8, channels: 3 } })
      .avif({ lossless: true })
      .toBuffer()
    const decoded = await decodeImage(avif)
    expect({ format: decoded.format, channels: decoded.channels, data: decoded.data }).toEqual({
      format: 'avif',
      channels: 3,
      data: rgb
    })
  })

  test('decodes only the first frame of an animated GIF: red, with its transparent corner', async () => {
    const decoded = await decodeImage(FIXTURES + 'gif-animated.gif')
    expect({
      width: decoded.width,
      height: decoded.height,
      corner: decoded.data[3],
      red: pixel(decoded, 1, 0)
    }).toEqual({
      width: 6,
      height: 4,
      corner: 0,
      red: [255, 0, 0]
    })
  })

  test('decodes only the first page of a multi-page TIFF', async () => {
    const decoded = await decodeImage(FIXTURES + 'tiff-two-pages.tif')
    expect([decoded.width, decoded.height]).toEqual([61, 47]) // page 2 is the same photo rotated, 47 x 61
  })

  test('replicates grey into R, G and B', async () => {
    const decoded = await decodeImage(FIXTURES + 'png-grey.png')
    const grey = await sharp(FIXTURES + 'png-grey.png')
      .extractChannel(0)
      .raw()
      .toUint8Array()
    expect(decoded.channels).toBe(3)
    expect([...decoded.data.filter((_, i) => i % 3 === 0)]).toEqual([...grey.data])
    expect([...decoded.data.filter((_, i) => i % 3 === 1)]).toEqual([...grey.data])
    expect([...decoded.data.filter((_, i) => i % 3 === 2)]).toEqual([...grey.data])
  })

  test('maps 16-bit samples to 8 bits by keeping the high byte: 0, 255, 256, 65535 become 0, 0, 1, 255', async () => {
    const decoded = await decodeImage(FIXTURES + 'png-grey16.png')
    expect([0, 1, 2, 3].map((x) => pixel(decoded, x, 0)[0])).toEqual([0, 0, 1, 255])
  })

  test('ignores an embedded RGB ICC profile, as Pillow does: stored red stays red', async () => {
    // The profile swaps the red and green primaries, so colour management would show green.
    const decoded = await decodeImage(FIXTURES + 'png-rgb-with-swapped-primaries-profile.png')
    expect(pixel(decoded, 0, 0)).toEqual([255, 0, 0])
  })

  test("converts CMYK without a profile through libvips' default CMYK profile (rows: paper, cyan, black, red ink)", async () => {
    const decoded = await decodeImage(FIXTURES + 'jpeg-cmyk-no-profile.jpg')
    expect([0, 2, 4, 6].map((y) => pixel(decoded, 0, y))).toEqual([
      [255, 255, 255],
      [0, 153, 227],
      [20, 5, 0],
      [232, 0, 0]
    ])
  })

  test('converts CMYK through its embedded profile: one that renders every ink as grey gives grey', async () => {
    // LittleCMS keeps paper white white (its white-point fix-up); the profile maps all inks to L* 50 = sRGB 119.
    const decoded = await decodeImage(FIXTURES + 'jpeg-cmyk-grey-profile.jpg')
    expect([0, 2, 4, 6].map((y) => pixel(decoded, 0, y))).toEqual([
      [255, 255, 255],
      [119, 119, 119],
      [119, 119, 119],
      [119, 119, 119]
    ])
  })
})

describe('decodeImage pixel limit', () => {
  test('defaults to 100 megapixels', () => {
    expect(DEFAULT_MAX_PIXELS).toBe(100_000_000)
  })

  test("refuses an image over the limit from its header alone, before decoding pixels it doesn't have", async () => {
    expect(await failure(decodeImage(pngHeaderOnly(20_000, 20_000), { name: 'bomb.png' }))).toEqual({
      code: 'image-too-large',
      message: 'bomb.png is 20000 x 20000 pixels (400 megapixels); the limit is 100 megapixels.'
    })
  })

  test('uses the maxPixels option', async () => {
    expect(await failure(decodeImage(FIXTURES + 'png-grey.png', { maxPixels: 98 }))).toEqual({
      code: 'image-too-large',
      message: 'png-grey.png is 11 x 9 pixels (99 pixels); the limit is 98 pixels.'
    })
  })

  test('accepts an image of exactly maxPixels', async () => {
    expect((await decodeImage(FIXTURES + 'png-grey.png', { maxPixels: 99 })).width).toBe(11)
  })
})

describe('decodeImage bad input', () => {
  const dir = mkdtempSync(join(tmpdir(), 'smolvlm-decode-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  const write = (name: string, bytes: Uint8Array | string): string => {
    writeFileSync(join(dir, name), bytes)
    return join(dir, name)
  }
  const jpeg = fixture('jpeg-baseline-420.jpg')
  const png = fixture('png-rgba.png')

  test.for([
    ['empty bytes', () => decodeImage(new Uint8Array(0)), 'The image is empty (0 bytes).'],
    ['an empty file', () => decodeImage(write('empty.jpg', '')), 'empty.jpg is empty (0 bytes).'],
    [
      'a text file',
      () => decodeImage(write('notes.jpg', 'not an image')),
      'notes.jpg is not an image that can be read (unsupported format or corrupt file).'
    ],
    [
      'a JPEG cut after its header',
      () => decodeImage(write('cut.jpg', jpeg.subarray(0, 40))),
      'cut.jpg is not an image that can be read (unsupported format or corrupt file).'
    ],
    [
      'a JPEG cut in half',
      () => decodeImage(write('half.jpg', jpeg.subarray(0, jpeg.length >> 1))),
      'half.jpg is damaged or truncated; its pixels could not be decoded.'
    ],
    [
      'a PNG cut in half',
      () => decodeImage(write('half.png', png.subarray(0, png.length >> 1))),
      'half.png is damaged or truncated; its pixels could not be decoded.'
    ],
    ['a missing file', () => decodeImage(join(dir, 'missing.png')), 'missing.png does not exist.'],
    ['a folder', () => decodeImage(dir, { name: 'photos' }), 'photos is a folder.'],
    [
      'an SVG',
      () => decodeImage(write('logo.svg', '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>')),
      'logo.svg is in SVG format, which is not supported; use JPEG, PNG, WebP, GIF, TIFF, AVIF or HEIC.'
    ]
  ] as const)('fails with bad-image for %s', async ([, decode, message]) => {
    expect(await failure(decode())).toEqual({ code: 'bad-image', message })
  })
})

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, describe, expect, test } from 'vitest'
import { heifKind } from '../../../src/engine/image/decode-heic.ts'
import { decodeImage } from '../../../src/engine/image/decode-image.ts'
import type { DecodedImage } from '../../../src/engine/image/decode-image.ts'

/** HEIC fixtures made by scripts/fixtures/heic-raw/make.mjs (heif-enc, libheif 1.15.1 + x265); see their README. */
const HEIC = join(import.meta.dirname, '../../fixtures/images/heic-raw')
const wide = join(HEIC, 'wide.heic')
const rotated = join(HEIC, 'rotated.heic')

function pixel(image: DecodedImage, x: number, y: number): number[] {
  const i = (y * image.width + x) * image.channels
  return [...image.data.subarray(i, i + 3)]
}

/** The test card's red block (220, 30, 30), through lossy HEVC: red high, green and blue low. */
const isRed = ([r, g, b]: number[]) => r! > 180 && g! < 80 && b! < 80

async function failure(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise
  } catch (error) {
    const { code, message } = error as { code: string; message: string }
    return { code, message }
  }
  throw new Error('expected decodeImage to fail')
}

/** The file with its primary image's ispe (declared size) replaced: a header that promises a huge image. */
function withDeclaredSize(bytes: Buffer, width: number, height: number): Buffer {
  const copy = Buffer.from(bytes)
  const at = copy.indexOf('ispe', 0, 'latin1')
  copy.writeUInt32BE(width, at + 8)
  copy.writeUInt32BE(height, at + 12)
  return copy
}

describe('HEIC through libheif (WebAssembly)', () => {
  test('a plain HEIC decodes to its size as 8-bit RGB, upright', async () => {
    const image = await decodeImage(wide)
    expect({ ...image, data: image.data.length }).toEqual({
      width: 96,
      height: 64,
      channels: 3,
      hasAlpha: false,
      data: 96 * 64 * 3,
      format: 'heic'
    })
    // The red block is top-left in the source card.
    expect(isRed(pixel(image, 4, 4))).toBe(true)
    expect(isRed(pixel(image, 4, 60))).toBe(false)
    expect(isRed(pixel(image, 90, 4))).toBe(false)
  })

  test("irot is applied once and the file's EXIF Orientation 6 is not applied again", async () => {
    // rotated.heic: the 96 x 64 card with irot = 90° anticlockwise and an EXIF Orientation of 6 (90° clockwise).
    // Applying both would give 96 x 64 again; EXIF alone, 64 x 96 with the red block top-right.
    const image = await decodeImage(rotated)
    expect([image.width, image.height]).toEqual([64, 96])
    expect(isRed(pixel(image, 4, 92))).toBe(true) // top-left turned anticlockwise lands bottom-left
    expect(isRed(pixel(image, 60, 4))).toBe(false)
    expect(isRed(pixel(image, 4, 4))).toBe(false)
  })

  test('rotated.heic is exactly wide.heic turned 90° anticlockwise (same HEVC input, irot applied by libheif)', async () => {
    const plain = await decodeImage(wide)
    const turned = await sharp(Buffer.from(plain.data), { raw: { width: 96, height: 64, channels: 3 } })
      .rotate(-90)
      .raw()
      .toBuffer()
    expect(Buffer.from((await decodeImage(rotated)).data).equals(turned)).toBe(true)
  })

  test('bytes and a path give the same pixels', async () => {
    const fromPath = await decodeImage(rotated)
    const fromBytes = await decodeImage(readFileSync(rotated), { name: 'rotated.heic' })
    expect(Buffer.from(fromBytes.data).equals(Buffer.from(fromPath.data))).toBe(true)
  })

  test('the decoded card is close to the source colours (lossy HEVC at quality 80)', async () => {
    const image = await decodeImage(wide)
    const [r, g, b] = pixel(image, 10, 10)
    expect(Math.abs(r! - 220) + Math.abs(g! - 30) + Math.abs(b! - 30)).toBeLessThan(45)
  })

  test('the pixel limit is checked against the size libheif reads from the header', async () => {
    expect(await failure(decodeImage(wide, { maxPixels: 96 * 64 - 1 }))).toEqual({
      code: 'image-too-large',
      message: 'wide.heic is 96 x 64 pixels (6144 pixels); the limit is 6143 pixels.'
    })
    expect((await decodeImage(wide, { maxPixels: 96 * 64 })).width).toBe(96)
  })

  test('a header declaring 20000 x 20000 is refused before decoding', async () => {
    const bomb = withDeclaredSize(readFileSync(wide), 20_000, 20_000)
    expect(await failure(decodeImage(bomb, { name: 'bomb.heic' }))).toEqual({
      code: 'image-too-large',
      message: 'bomb.heic is 20000 x 20000 pixels (400 megapixels); the limit is 100 megapixels.'
    })
  })
})

describe('HEIC bad input', () => {
  const dir = mkdtempSync(join(tmpdir(), 'smolvlm-heic-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  const bytes = readFileSync(wide)
  const write = (name: string, data: Uint8Array): string => {
    writeFileSync(join(dir, name), data)
    return join(dir, name)
  }

  test('a HEIC cut in half is damaged or truncated, named', async () => {
    expect(await failure(decodeImage(write('half.heic', bytes.subarray(0, bytes.length >> 1))))).toEqual({
      code: 'bad-image',
      message: 'half.heic is damaged or truncated; its pixels could not be decoded.'
    })
  })

  test('a HEIC cut inside its header cannot be read, named, with libheif’s reason', async () => {
    const { code, message } = await failure(decodeImage(write('cut.heic', bytes.subarray(0, 60))))
    expect(code).toBe('bad-image')
    expect(message).toMatch(/^cut\.heic is not a HEIC\/HEIF image that can be read \(.+\)\.$/)
  })
})

describe('heifKind: the decoder is chosen by the ftyp brands, not the name', () => {
  const ftyp = (major: string, ...compatible: string[]) => {
    const brands = [major, '\0\0\0\0', ...compatible].join('')
    const box = Buffer.alloc(8 + brands.length)
    box.writeUInt32BE(box.length, 0)
    box.write('ftyp', 4, 'latin1')
    box.write(brands, 8, 'latin1')
    return box
  }

  test.for([
    ['heic (iPhone)', ftyp('heic', 'mif1', 'heic'), 'heic'],
    ['heix (10-bit)', ftyp('heix', 'mif1', 'heix'), 'heic'],
    ['mif1 with heic compatible', ftyp('mif1', 'mif1', 'heic'), 'heic'],
    ['mif1 alone', ftyp('mif1', 'mif1'), 'heic'],
    ['msf1 sequence', ftyp('msf1', 'msf1', 'hevc'), 'heic'],
    ['avif', ftyp('avif', 'mif1', 'miaf', 'avif'), 'avif'],
    ['mif1 with avif compatible', ftyp('mif1', 'mif1', 'avif'), 'avif'],
    ['an MP4 movie', ftyp('isom', 'isom', 'mp41'), undefined],
    ['not ISO BMFF', Buffer.from('\x89PNG\r\n\x1a\n....'), undefined]
  ] as const)('%s', ([, bytes, kind]) => {
    expect(heifKind(bytes)).toBe(kind)
  })

  test('the committed fixture says heic, and an AVIF from sharp says avif', async () => {
    expect(heifKind(readFileSync(wide))).toBe('heic')
    const avif = await sharp({ create: { width: 8, height: 8, channels: 3, background: 'red' } })
      .avif()
      .toBuffer()
    expect(heifKind(avif)).toBe('avif')
    expect((await decodeImage(avif)).format).toBe('avif')
  })

  test('a .heic that is really a JPEG is decoded as the JPEG it is', async () => {
    const jpeg = await sharp({ create: { width: 6, height: 4, channels: 3, background: 'blue' } })
      .jpeg()
      .toBuffer()
    expect((await decodeImage(jpeg, { name: 'photo.heic' })).format).toBe('jpeg')
  })
})

describe('a camera RAW file handed to the engine as itself', () => {
  test('is refused instead of being described from the TIFF thumbnail sharp would decode', async () => {
    expect(await failure(decodeImage(join(HEIC, 'preview.dng')))).toEqual({
      code: 'bad-image',
      message:
        'preview.dng is a camera RAW file; it is described from its embedded JPEG preview, which this caller did not extract.'
    })
  })

  test('its JPEG preview under the RAW’s name is decoded', async () => {
    const jpeg = await sharp({ create: { width: 6, height: 4, channels: 3, background: 'green' } })
      .jpeg()
      .toBuffer()
    expect((await decodeImage(jpeg, { name: 'DSC_0001.NEF' })).format).toBe('jpeg')
  })
})

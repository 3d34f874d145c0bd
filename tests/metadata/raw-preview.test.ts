import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, describe, expect, test } from 'vitest'
import { decodeImage } from '../../src/engine/image/decode-image.ts'
import type { DecodedImage } from '../../src/engine/image/decode-image.ts'
import { withOrientation } from '../../src/metadata/jpeg-orientation.ts'
import { describableImage, RawPreviewReader } from '../../src/metadata/raw-preview.ts'
import { buildDng } from '../../scripts/fixtures/heic-raw/dng.ts'

/** DNGs made by scripts/fixtures/heic-raw/make.ts (see the README beside them). */
const FIXTURES = join(import.meta.dirname, '../fixtures/images/heic-raw')
const dir = mkdtempSync(join(tmpdir(), 'smolvlm-raw-'))
const reader = new RawPreviewReader()
afterAll(async () => {
  await reader.close()
  rmSync(dir, { recursive: true, force: true })
})

function pixel(image: DecodedImage, x: number, y: number): number[] {
  const i = (y * image.width + x) * image.channels
  return [...image.data.subarray(i, i + 3)]
}
const isRed = ([r, g, b]: number[]) => r! > 180 && g! < 80 && b! < 80

async function failure(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise
  } catch (error) {
    const { code, message } = error as { code: string; message: string }
    return { code, message }
  }
  throw new Error('expected it to fail')
}

/** A DNG with a JPEG preview of the given size (red top-left), Orientation `orientation`. */
async function dngWithPreview(name: string, width: number, height: number, orientation = 1): Promise<string> {
  const card = await sharp({ create: { width, height, channels: 3, background: { r: 40, g: 90, b: 180 } } })
    .composite([
      {
        input: {
          create: {
            width: width >> 2,
            height: height >> 2,
            channels: 3,
            background: { r: 220, g: 30, b: 30 }
          }
        },
        left: 0,
        top: 0
      }
    ])
    .jpeg()
    .toBuffer()
  const thumbnail = { width: 4, height: 3, rgb: Buffer.alloc(4 * 3 * 3, 128) }
  const path = join(dir, name)
  writeFileSync(path, buildDng({ thumbnail, preview: { width, height, jpeg: card }, orientation }))
  return path
}

describe('RAW input through the embedded JPEG preview (ExifTool)', () => {
  test('preview.dng gives its 640 x 480 preview turned by the RAW’s Orientation 6 exactly once', async () => {
    const preview = await reader.read(join(FIXTURES, 'preview.dng'))
    expect({ tag: preview.tag, width: preview.width, height: preview.height }).toEqual({
      tag: 'PreviewImage',
      width: 480,
      height: 640
    })
    // The preview's own EXIF also says 6: applied once the red top-left block lands top-right.
    const image = await decodeImage(preview.bytes, { name: 'preview.dng' })
    expect([image.width, image.height]).toEqual([480, 640])
    expect(isRed(pixel(image, 470, 10))).toBe(true)
    expect(isRed(pixel(image, 10, 10))).toBe(false)
    expect(isRed(pixel(image, 470, 630))).toBe(false)
  })

  test('the RAW’s Orientation wins over the preview’s own', async () => {
    const path = await dngWithPreview('upright.dng', 640, 480, 1)
    const preview = await reader.read(path)
    expect([preview.width, preview.height]).toEqual([640, 480])
    const turned = await reader.read(await dngWithPreview('left.dng', 640, 480, 8))
    expect([turned.width, turned.height]).toEqual([480, 640])
    const image = await decodeImage(turned.bytes)
    expect(isRed(pixel(image, 10, 630))).toBe(true) // 90° anticlockwise: top-left goes bottom-left
  })

  test('a DNG with only a thumbnail is refused with a sentence that says why', async () => {
    expect(await failure(reader.read(join(FIXTURES, 'no-preview.dng')))).toEqual({
      code: 'bad-image',
      message:
        'no-preview.dng has no embedded JPEG preview to describe (RAW sensor data is not developed here).'
    })
  })

  test('a preview smaller than one 512-pixel tile is refused, with its size', async () => {
    const path = await dngWithPreview('small.dng', 320, 240)
    expect(await failure(reader.read(path))).toEqual({
      code: 'bad-image',
      message:
        'small.dng holds only a 320 x 240 preview, too small to describe (at least 512 pixels on the longer ' +
        'side; RAW sensor data is not developed here).'
    })
  })

  test('a preview whose bytes are not a JPEG is refused, named', async () => {
    const path = join(dir, 'junk.dng')
    const thumbnail = { width: 4, height: 3, rgb: Buffer.alloc(4 * 3 * 3, 128) }
    const junk = { width: 640, height: 480, jpeg: Buffer.alloc(5000, 7) }
    writeFileSync(path, buildDng({ thumbnail, preview: junk, orientation: 1 }))
    expect(await failure(reader.read(path))).toEqual({
      code: 'bad-image',
      message: 'junk.dng has an embedded preview that is not a readable JPEG.'
    })
  })

  test('a preview over the size limit is refused by its declared length, never extracted', async () => {
    const path = join(dir, 'huge-preview.dng')
    const thumbnail = { width: 4, height: 3, rgb: Buffer.alloc(4 * 3 * 3, 128) }
    const junk = { width: 640, height: 480, jpeg: Buffer.alloc(3 * 2 ** 20, 7) }
    writeFileSync(path, buildDng({ thumbnail, preview: junk, orientation: 1 }))
    const small = new RawPreviewReader({ maxPreviewBytes: 2 * 2 ** 20 })
    try {
      expect(await failure(small.read(path))).toEqual({
        code: 'bad-image',
        message: 'huge-preview.dng has an embedded preview of 3 MB, more than the 2 MB read.'
      })
    } finally {
      await small.close()
    }
  })

  test('a RAW cut short so that the preview is gone is refused, named', async () => {
    const bytes = readFileSync(join(FIXTURES, 'preview.dng'))
    const path = join(dir, 'cut.dng')
    writeFileSync(path, bytes.subarray(0, 3000))
    // ExifTool still reads the directories, but the preview's bytes are missing: it reports no PreviewImage.
    expect(await failure(reader.read(path))).toEqual({
      code: 'bad-image',
      message: 'cut.dng has no embedded JPEG preview to describe (RAW sensor data is not developed here).'
    })
  })

  test('a text file named .cr2 is refused, named', async () => {
    const path = join(dir, 'notes.cr2')
    writeFileSync(path, 'not a raw file at all')
    expect(await failure(reader.read(path))).toEqual({
      code: 'bad-image',
      message: 'notes.cr2 is not a RAW file (ExifTool reads it as TXT).'
    })
  })

  test('a missing file and a folder get the file reasons the engine uses', async () => {
    expect(await failure(reader.read(join(dir, 'gone.arw')))).toEqual({
      code: 'bad-image',
      message: 'gone.arw does not exist.'
    })
    expect(await failure(reader.read(dir, 'shoot.dng'))).toEqual({
      code: 'bad-image',
      message: 'shoot.dng is a folder.'
    })
  })

  test('describableImage: a RAW becomes its preview under the RAW’s name; other paths stay paths', async () => {
    const raw = join(dir, 'copy.DNG')
    copyFileSync(join(FIXTURES, 'preview.dng'), raw)
    const described = await describableImage(raw, reader)
    expect(typeof described.input === 'object' && described.input.name).toBe('copy.DNG')
    expect([described.preview?.width, described.preview?.height]).toEqual([480, 640])
    const heic = join(FIXTURES, 'wide.heic')
    expect(await describableImage(heic, reader)).toEqual({ input: heic, preview: undefined })
  })
})

describe('withOrientation: the EXIF Orientation of a JPEG, scan data untouched', () => {
  test('replaces an existing EXIF orientation and keeps the compressed data byte for byte', async () => {
    const jpeg = await sharp({ create: { width: 8, height: 4, channels: 3, background: 'red' } })
      .jpeg()
      .withMetadata({ orientation: 3 })
      .toBuffer()
    const out = withOrientation(jpeg, 6)
    expect((await sharp(out).metadata()).orientation).toBe(6)
    const scan = (bytes: Uint8Array) =>
      Buffer.from(bytes).subarray(Buffer.from(bytes).indexOf(Buffer.from([0xff, 0xda])))
    expect(scan(out).equals(scan(jpeg))).toBe(true)
    const decoded = await decodeImage(out)
    expect([decoded.width, decoded.height]).toEqual([4, 8])
  })

  test('adds one to a JPEG without EXIF', async () => {
    const jpeg = await sharp({ create: { width: 8, height: 4, channels: 3, background: 'red' } })
      .jpeg()
      .toBuffer()
    expect((await sharp(jpeg).metadata()).orientation).toBeUndefined()
    expect((await sharp(withOrientation(jpeg, 8)).metadata()).orientation).toBe(8)
  })

  test('refuses what is not a JPEG and orientations outside 1-8', () => {
    expect(() => withOrientation(Buffer.from('GIF89a....'), 1)).toThrow('not a JPEG')
    expect(() => withOrientation(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 200]), 1)).toThrow('damaged')
    expect(() => withOrientation(Buffer.from([0xff, 0xd8]), 9)).toThrow(RangeError)
  })
})

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, describe, expect, it } from 'vitest'
import { makeThumbnail } from '../../src/host/thumbnails.ts'
import { RawPreviewReader } from '../../src/metadata/raw-preview.ts'
import { image } from './support/jobs.ts'

/** Fixtures made by scripts/fixtures/heic-raw/make.ts (a red block top-left of the card; see their README). */
const fixture = (name: string) => image(join('heic-raw', name))
const reader = new RawPreviewReader()
const dir = mkdtempSync(join(tmpdir(), 'smolvlm-thumbs-'))
afterAll(async () => {
  await reader.close()
  rmSync(dir, { recursive: true, force: true })
})

/** The thumbnail's pixels and whether the red block is at each corner (tl, tr, bl, br). */
async function corners(dataUrl: string) {
  const webp = Buffer.from(dataUrl.slice(dataUrl.indexOf(',') + 1), 'base64')
  const { data, info } = await sharp(webp).removeAlpha().raw().toBuffer({ resolveWithObject: true })
  const red = (x: number, y: number) => {
    const i = (y * info.width + x) * 3
    return data[i]! > 170 && data[i + 1]! < 90 && data[i + 2]! < 90
  }
  const [w, h] = [info.width - 2, info.height - 2]
  return { size: [info.width, info.height], tl: red(1, 1), tr: red(w, 1), bl: red(1, h), br: red(w, h) }
}

describe('thumbnails of HEIC and RAW files', () => {
  it('a HEIC: decoded by libheif, its size and its pixels upright', async () => {
    const thumbnail = await makeThumbnail(fixture('wide.heic'), 'wide.heic', reader)
    expect([thumbnail.width, thumbnail.height]).toEqual([96, 64])
    expect(await corners(thumbnail.dataUrl)).toEqual({
      size: [96, 64],
      tl: true,
      tr: false,
      bl: false,
      br: false
    })
  })

  it('a HEIC with irot: turned once (its EXIF orientation is not applied again)', async () => {
    const thumbnail = await makeThumbnail(fixture('rotated.heic'), 'rotated.heic', reader)
    expect([thumbnail.width, thumbnail.height]).toEqual([64, 96])
    expect(await corners(thumbnail.dataUrl)).toEqual({
      size: [64, 96],
      tl: false,
      tr: false,
      bl: true,
      br: false
    })
  })

  it('a DNG: from its embedded preview, turned by the RAW’s orientation once', async () => {
    const thumbnail = await makeThumbnail(fixture('preview.dng'), 'preview.dng', reader)
    expect([thumbnail.width, thumbnail.height]).toEqual([480, 640])
    expect(await corners(thumbnail.dataUrl)).toEqual({
      size: [192, 256],
      tl: false,
      tr: true,
      bl: false,
      br: false
    })
  })

  it('a DNG without a usable preview: the same sentence as its caption would get', async () => {
    await expect(makeThumbnail(fixture('no-preview.dng'), 'no-preview.dng', reader)).rejects.toMatchObject({
      code: 'bad-image',
      message:
        'no-preview.dng has no embedded JPEG preview to describe (RAW sensor data is not developed here).'
    })
  })

  it('a HEIC declaring more pixels than the engine describes is refused before libheif decodes it', async () => {
    // wide.heic with its ispe (the image's declared size) set to 12000 x 12000: 144 MP, over the engine's 100 MP.
    const bytes = readFileSync(fixture('wide.heic'))
    const at = bytes.indexOf('ispe')
    bytes.writeUInt32BE(12_000, at + 8)
    bytes.writeUInt32BE(12_000, at + 12)
    const path = join(dir, 'huge.heic')
    writeFileSync(path, bytes)
    await expect(makeThumbnail(path, 'huge.heic', reader)).rejects.toMatchObject({
      code: 'bad-image',
      message: 'huge.heic is 12000 x 12000 pixels (144 megapixels); the limit is 100 megapixels.'
    })
  })

  it('a HEIC cut in half: bad-image naming the file', async () => {
    const half = join(dir, 'half.heic')
    const bytes = readFileSync(fixture('wide.heic'))
    writeFileSync(half, bytes.subarray(0, bytes.length >> 1))
    await expect(makeThumbnail(half, 'half.heic', reader)).rejects.toMatchObject({
      code: 'bad-image',
      message: 'half.heic is damaged or truncated; its pixels could not be decoded.'
    })
  })
})

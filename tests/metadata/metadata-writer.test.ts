import { createHash } from 'node:crypto'
import { spawn } from 'node:child_process'
import { chmod, copyFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ExifTool } from 'exiftool-vendored'
import type { WriteTags } from 'exiftool-vendored'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MetadataWriter } from '../../src/metadata/metadata-writer.ts'
import { pixelHash } from '../../src/metadata/pixel-hash.ts'

const FIXTURES = join(import.meta.dirname, '../fixtures/images')
let dir: string
let writer: MetadataWriter
let exiftool: ExifTool

const sha256 = async (path: string) =>
  createHash('sha256')
    .update(await readFile(path))
    .digest('hex')

/** A small photo-like image in each format, made here with sharp (real encoders, real files). */
async function makeImage(name: string): Promise<string> {
  const path = join(dir, name)
  const base = sharp(join(FIXTURES, 'wide.png')).resize(96, 48)
  const ext = name.slice(name.lastIndexOf('.') + 1)
  const encoded =
    ext === 'jpg'
      ? base.jpeg({ quality: 90 })
      : ext === 'png'
        ? base.png()
        : ext === 'webp'
          ? base.webp({ quality: 80 })
          : ext === 'tif'
            ? base.tiff()
            : base.avif({ quality: 50 })
  await encoded.toFile(path)
  return path
}

/** What other programs will see: ExifTool's own reading of the tags the MWG describes. */
async function tagsOf(path: string): Promise<Record<string, unknown>> {
  return (await exiftool.readRaw(path, {
    readArgs: [
      '-G1',
      '-XMP-dc:Description',
      '-XMP-dc:Subject',
      '-IFD0:ImageDescription',
      '-IPTC:Caption-Abstract',
      '-IPTC:Keywords',
      '-XMP-iptcCore:AltTextAccessibility'
    ]
  })) as Record<string, unknown>
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'smolvlm-metadata-'))
  writer = new MetadataWriter()
  exiftool = new ExifTool({ maxProcs: 1 })
})

afterAll(async () => {
  await writer.close()
  await exiftool.end()
  await rm(dir, { recursive: true, force: true })
})

describe('embedded metadata round trips', () => {
  it.each(['photo.jpg', 'photo.png', 'photo.webp', 'photo.tif', 'photo.avif'])(
    '%s: the description is read back by ExifTool and by the writer, pixels unchanged, nothing left beside it',
    async (name) => {
      const image = await makeImage(name)
      const pixels = await pixelHash(image)
      const report = await writer.write(image, 'A red kite over a green field.', {
        mode: 'embedded',
        policy: 'skip'
      })
      expect(report).toEqual({
        image,
        file: image,
        where: 'embedded',
        outcome: 'written',
        reason: null
      })
      expect((await tagsOf(image))['XMP-dc:Description']).toBe('A red kite over a green field.')
      expect((await writer.read(image)).description).toBe('A red kite over a green field.')
      expect(await pixelHash(image)).toBe(pixels)
      expect((await readdir(dir)).filter((f) => f.startsWith(name) || f.startsWith(`.${name}`))).toEqual([
        name
      ])
    }
  )

  it('HEIC (a heif-enc file with irot, see tests/fixtures/images/heic-raw): written in place, pixels unchanged', async () => {
    const image = join(dir, 'phone.heic')
    await copyFile(join(FIXTURES, 'heic-raw/rotated.heic'), image)
    const pixels = await pixelHash(image)
    const report = await writer.write(image, 'A red block on blue.', { mode: 'embedded', policy: 'skip' })
    expect(report).toEqual({ image, file: image, where: 'embedded', outcome: 'written', reason: null })
    expect((await tagsOf(image))['XMP-dc:Description']).toBe('A red block on blue.')
    expect(await pixelHash(image)).toBe(pixels)
  })

  it('JPEG: EXIF ImageDescription too, and IPTC Caption-Abstract only where the file already has IPTC', async () => {
    const plain = await makeImage('plain.jpg')
    const withIptc = await makeImage('iptc.jpg')
    await exiftool.write(withIptc, { 'IPTC:ObjectName': 'kite' } as WriteTags, {
      writeArgs: ['-overwrite_original']
    })
    await writer.write(plain, 'A kite.', { mode: 'embedded', policy: 'skip' })
    await writer.write(withIptc, 'A kite.', { mode: 'embedded', policy: 'skip' })
    const plainTags = await tagsOf(plain)
    expect(plainTags['IFD0:ImageDescription']).toBe('A kite.')
    expect(plainTags['IPTC:Caption-Abstract']).toBeUndefined()
    expect((await tagsOf(withIptc))['IPTC:Caption-Abstract']).toBe('A kite.')
  })

  it('alt text goes to the description and to XMP-iptcCore:AltTextAccessibility', async () => {
    const image = await makeImage('alt.jpg')
    await writer.write(image, 'Kite against a blue sky', {
      mode: 'embedded',
      policy: 'skip',
      kind: 'alt-text'
    })
    const tags = await tagsOf(image)
    expect(tags['XMP-iptcCore:AltTextAccessibility']).toBe('Kite against a blue sky')
    expect(tags['XMP-dc:Description']).toBe('Kite against a blue sky')
  })

  it('keywords (the tags preset) are split, trimmed and written to dc:subject', async () => {
    const image = await makeImage('tags.jpg')
    await writer.write(image, 'kite, sky ,  field,kite\nbird.', {
      mode: 'embedded',
      policy: 'skip',
      kind: 'keywords'
    })
    expect((await tagsOf(image))['XMP-dc:Subject']).toEqual(['kite', 'sky', 'field', 'bird'])
    expect((await writer.read(image)).keywords).toEqual(['kite', 'sky', 'field', 'bird'])
  })
})

describe('an existing description is never replaced silently', () => {
  it('skip leaves the file byte for byte as it was and says why', async () => {
    const image = await makeImage('skip.jpg')
    await writer.write(image, 'First caption.', { mode: 'embedded', policy: 'skip' })
    const before = await sha256(image)
    const report = await writer.write(image, 'Second caption.', { mode: 'embedded', policy: 'skip' })
    expect(report.outcome).toBe('skipped')
    expect(report.reason).toBe('it already has a description (policy: skip)')
    expect(await sha256(image)).toBe(before)
  })

  it('replace puts the new caption in its place', async () => {
    const image = await makeImage('replace.jpg')
    await writer.write(image, 'First caption.', { mode: 'embedded', policy: 'skip' })
    const report = await writer.write(image, 'Second caption.', { mode: 'embedded', policy: 'replace' })
    expect(report.outcome).toBe('replaced')
    expect((await writer.read(image)).description).toBe('Second caption.')
  })

  it('append adds the new caption on a new line, once', async () => {
    const image = await makeImage('append.jpg')
    await writer.write(image, 'First caption.', { mode: 'embedded', policy: 'skip' })
    expect(
      (await writer.write(image, 'Second caption.', { mode: 'embedded', policy: 'append' })).outcome
    ).toBe('appended')
    expect(
      (await writer.write(image, 'Second caption.', { mode: 'embedded', policy: 'append' })).outcome
    ).toBe('skipped')
    expect((await writer.read(image)).description).toBe('First caption.\nSecond caption.')
  })

  it('append merges keywords without repeating one', async () => {
    const image = await makeImage('append-tags.jpg')
    await writer.write(image, 'kite, sky', { mode: 'embedded', policy: 'skip', kind: 'keywords' })
    await writer.write(image, 'Sky, field', { mode: 'embedded', policy: 'append', kind: 'keywords' })
    expect((await writer.read(image)).keywords).toEqual(['kite', 'sky', 'field'])
  })
})

describe('XMP sidecars', () => {
  it('darktable naming (photo.jpg.xmp) by default; the image is not touched', async () => {
    const image = await makeImage('side.jpg')
    const before = await sha256(image)
    const report = await writer.write(image, 'A kite.', { mode: 'xmp', policy: 'skip' })
    expect(report).toMatchObject({ file: `${image}.xmp`, where: 'xmp', outcome: 'written' })
    expect((await tagsOf(`${image}.xmp`))['XMP-dc:Description']).toBe('A kite.')
    expect(await sha256(image)).toBe(before)
    expect((await writer.read(image)).description).toBe('A kite.')
  })

  it('adobe naming (photo.xmp), and the policy applies to an existing sidecar', async () => {
    const image = await makeImage('adobe.png')
    await writer.write(image, 'One.', { mode: 'xmp', policy: 'skip', naming: 'adobe' })
    const report = await writer.write(image, 'Two.', { mode: 'xmp', policy: 'append', naming: 'adobe' })
    expect(report).toMatchObject({ file: join(dir, 'adobe.xmp'), outcome: 'appended' })
    expect((await writer.read(image, 'adobe')).description).toBe('One.\nTwo.')
  })

  it('a RAW file gets a sidecar even in embedded mode, and its bytes stay as they were', async () => {
    // A TIFF-structured file named .nef: what ExifTool would rewrite in place if it were asked to.
    const raw = join(dir, 'shot.nef')
    await copyFile(await makeImage('for-raw.tif'), raw)
    const before = await sha256(raw)
    const report = await writer.write(raw, 'A kite at dusk.', { mode: 'embedded', policy: 'skip' })
    expect(report).toEqual({
      image: raw,
      file: `${raw}.xmp`,
      where: 'xmp',
      outcome: 'written',
      reason: 'RAW files are never rewritten'
    })
    expect(await sha256(raw)).toBe(before)
    expect((await tagsOf(`${raw}.xmp`))['XMP-dc:Description']).toBe('A kite at dusk.')
  })

  it('two images of one name in adobe naming do not share a sidecar silently', async () => {
    const jpg = await makeImage('pair.jpg')
    const png = await makeImage('pair.png')
    await writer.write(jpg, 'From the JPEG.', { mode: 'xmp', policy: 'skip', naming: 'adobe' })
    const report = await writer.write(png, 'From the PNG.', {
      mode: 'xmp',
      policy: 'replace',
      naming: 'adobe'
    })
    expect(report).toMatchObject({ outcome: 'skipped', reason: 'pair.jpg already writes pair.xmp' })
  })
})

describe('files that cannot be written', () => {
  it('a file whose EXIF is already broken is skipped with ExifTool reason, unchanged', async () => {
    const image = join(dir, 'broken.jpg')
    const bytes = Buffer.from(await readFile(join(FIXTURES, 'exif-rotated.jpg')))
    // Damage IFD0's first entry: format 0xFFFF, count 0x7FFFFFFF (big-endian TIFF header after "Exif\0\0").
    const tiff = bytes.indexOf('Exif\0\0') + 6
    const entry = tiff + bytes.readUInt32BE(tiff + 4) + 2
    bytes.writeUInt16BE(0xffff, entry + 2)
    bytes.writeUInt32BE(0x7fffffff, entry + 4)
    await writeFile(image, bytes)
    const report = await writer.write(image, 'A caption.', { mode: 'embedded', policy: 'skip' })
    expect(report.outcome).toBe('skipped')
    expect(report.reason).toBe(
      'its metadata could not be written safely: Bad format (65535) for IFD0 entry 0'
    )
    expect((await readFile(image)).equals(bytes)).toBe(true)
    expect((await readdir(dir)).filter((f) => f.includes('broken.jpg'))).toEqual(['broken.jpg'])
  })

  it('a read-only image gets a clear per-file error', async () => {
    const image = await makeImage('locked.jpg')
    await chmod(image, 0o444)
    const report = await writer.write(image, 'A caption.', { mode: 'embedded', policy: 'skip' })
    expect(report).toMatchObject({ outcome: 'failed', reason: 'locked.jpg is read-only' })
  })

  it('a missing image is named', async () => {
    const report = await writer.write(join(dir, 'gone.jpg'), 'A caption.', {
      mode: 'embedded',
      policy: 'skip'
    })
    expect(report).toMatchObject({ outcome: 'failed', reason: 'gone.jpg no longer exists' })
  })
})

describe('atomicity', () => {
  it('a failure just before the replace leaves the original and no temp file', async () => {
    const image = await makeImage('interrupted.jpg')
    const before = await sha256(image)
    const failing = new MetadataWriter({
      beforeReplace: async () => {
        throw Object.assign(new Error('stopped'), { code: 'EIO' })
      }
    })
    try {
      const report = await failing.write(image, 'A caption.', { mode: 'embedded', policy: 'skip' })
      expect(report.outcome).toBe('failed')
    } finally {
      await failing.close()
    }
    expect(await sha256(image)).toBe(before)
    expect((await readdir(dir)).filter((f) => f.includes('interrupted'))).toEqual(['interrupted.jpg'])
  })

  it('a writer process killed (SIGKILL) between writing and replacing leaves the original intact', async () => {
    const image = await makeImage('killed.jpg')
    const before = await sha256(image)
    const child = spawn(
      process.execPath,
      ['--import', import.meta.resolve('tsx'), join(import.meta.dirname, 'support/hanging-writer.ts'), image],
      { stdio: ['ignore', 'pipe', 'inherit'] }
    )
    const temp = await new Promise<string>((resolve, reject) => {
      let out = ''
      child.stdout.setEncoding('utf8').on('data', (text: string) => {
        out += text
        const line = out.split('\n').find((l) => l.startsWith('ready '))
        if (line) resolve(line.slice(6))
      })
      child.on('exit', (code) => reject(new Error(`the writer exited early (${code})`)))
    })
    const exited = new Promise((resolve) => child.on('exit', resolve))
    child.kill('SIGKILL')
    await exited
    expect(await sha256(image)).toBe(before)
    expect((await writer.read(image)).description).toBeNull()
    // The finished temp file was there, written, when the process died: only the rename was missing.
    expect((await tagsOf(temp))['XMP-dc:Description']).toBe('Written by a writer about to be killed.')
    await rm(temp, { force: true })
  })
})

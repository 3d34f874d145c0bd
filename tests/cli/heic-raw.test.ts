import { execFile } from 'node:child_process'
import { copyFile, mkdir, mkdtemp, realpath, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decodeImage } from '../../src/engine/image/decode-image.ts'
import { RawPreviewReader } from '../../src/metadata/raw-preview.ts'
import { modelDir } from '../support/reference.ts'
import { startCli } from './run-cli.ts'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
/** Made by scripts/fixtures/heic-raw/make.ts; see the README beside them. */
const FIXTURES = join(ROOT, 'tests/fixtures/images/heic-raw')
const fixture = (name: string) => join(FIXTURES, name)

function smolvlm(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/cli/index.ts', ...args],
      { cwd: ROOT, env: { ...process.env, SMOLVLM_MODEL: '' } },
      (error, stdout, stderr) => resolve({ code: error ? (error.code as number) : 0, stdout, stderr })
    )
  })
}

const model = ['--model', modelDir('tiny-gqa'), '--device', 'cpu', '--max-new-tokens', '12']

/** A PNG of exactly these pixels: what the HEIC or RAW must be described as. */
async function pngOf(image: { width: number; height: number; data: Uint8Array }, path: string) {
  await sharp(Buffer.from(image.data), { raw: { width: image.width, height: image.height, channels: 3 } })
    .png()
    .toFile(path)
  return path
}

describe('smolvlm caption on HEIC and RAW (end to end, tiny-gqa)', () => {
  let tmp: string
  let results: Record<string, Record<string, unknown>>
  let run: { code: number; stdout: string; stderr: string }

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'smolvlm-heic-raw-'))
    // The expected pixels, made apart from the CLI: the HEIC decoded; the DNG's preview turned once by sharp.
    const reader = new RawPreviewReader()
    const preview = await reader.read(fixture('preview.dng'))
    await reader.close()
    const upright = await decodeImage(preview.bytes)
    const expected = {
      wide: await pngOf(await decodeImage(fixture('wide.heic')), join(tmp, 'wide-heic.png')),
      rotated: await pngOf(await decodeImage(fixture('rotated.heic')), join(tmp, 'rotated-heic.png')),
      preview: await pngOf(upright, join(tmp, 'preview-dng.png'))
    }
    run = await smolvlm([
      'caption',
      ...model,
      '--json',
      fixture('wide.heic'),
      expected.wide,
      fixture('rotated.heic'),
      expected.rotated,
      fixture('preview.dng'),
      expected.preview,
      fixture('no-preview.dng')
    ])
    results = Object.fromEntries(
      run.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .map((result) => [String(result.image).split('/').pop(), result])
    )
  }, 180_000)
  afterAll(() => rm(tmp, { recursive: true, force: true }))

  it('describes each HEIC exactly as a PNG of its decoded pixels (same tokens, same input size)', () => {
    for (const [heic, png] of [
      ['wide.heic', 'wide-heic.png'],
      ['rotated.heic', 'rotated-heic.png']
    ]) {
      expect(results[heic]?.error).toBeUndefined()
      expect(results[heic]?.tokenIds).toEqual(results[png]?.tokenIds)
      expect(results[heic]?.inputTokens).toEqual(results[png]?.inputTokens)
      expect(results[heic]?.previews).toBeUndefined()
    }
  })

  it('describes the DNG from its preview turned once, and says so in the JSON line', () => {
    const dng = results['preview.dng']!
    expect(dng.tokenIds).toEqual(results['preview-dng.png']?.tokenIds)
    expect(dng.previews).toEqual([
      {
        image: fixture('preview.dng'),
        tag: 'PreviewImage',
        width: 480,
        height: 640,
        note: 'described from the embedded preview, 480×640'
      }
    ])
  })

  it('refuses the DNG without a preview with a clear error, and exits 1', () => {
    expect(run.code).toBe(1)
    expect(results['no-preview.dng']).toEqual({
      image: fixture('no-preview.dng'),
      images: [fixture('no-preview.dng')],
      error: {
        code: 'bad-image',
        message:
          'no-preview.dng has no embedded JPEG preview to describe (RAW sensor data is not developed here).'
      }
    })
  })

  it('finds HEIC and RAW files in a folder and notes the preview on stderr without --json', async () => {
    const { code, stdout, stderr } = await smolvlm(['caption', ...model, '--max-new-tokens', '2', FIXTURES])
    expect(code).toBe(1) // no-preview.dng
    for (const name of ['preview.dng', 'rotated.heic', 'wide.heic'])
      expect(stdout).toContain(`${fixture(name)}:`)
    expect(stderr).toContain(
      `smolvlm: ${fixture('preview.dng')}: described from the embedded preview, 480×640`
    )
    expect(stderr).toContain('no-preview.dng has no embedded JPEG preview')
  }, 120_000)
})

describe('smolvlm watch on HEIC and RAW files', () => {
  it('describes a HEIC and a DNG that land in the folder, the DNG from its preview', async () => {
    const base = await realpath(await mkdtemp(join(tmpdir(), 'smolvlm-watch-heic-raw-')))
    const folder = join(base, 'in')
    await mkdir(folder)
    const args = ['watch', ...model, '--json', '--settle-ms', '500', folder]
    const child = startCli(args, {
      env: { ...process.env, SMOLVLM_MODEL: '', SMOLVLM_HOME: join(base, 'home') }
    })
    const closed = new Promise((resolve) => child.on('close', resolve))
    let stdout = ''
    let stderr = ''
    child.stdout?.setEncoding('utf8').on('data', (text: string) => (stdout += text))
    child.stderr?.setEncoding('utf8').on('data', (text: string) => (stderr += text))
    const until = async (check: () => boolean, what: string) => {
      const end = Date.now() + 90_000
      while (!check()) {
        if (Date.now() > end || child.exitCode !== null)
          throw new Error(`${what}: not seen.\n${stdout}\n${stderr}`)
        await new Promise((resolve) => setTimeout(resolve, 25))
      }
    }
    try {
      await until(() => stderr.includes('(Ctrl-C stops)'), 'the watch started')
      await copyFile(fixture('wide.heic'), join(folder, 'IMG_0001.HEIC'))
      await copyFile(fixture('preview.dng'), join(folder, 'DSC_0002.dng'))
      const results = () =>
        stdout
          .split('\n')
          .slice(0, -1)
          .map((line) => JSON.parse(line) as Record<string, unknown>)
      await until(() => results().length >= 2, 'two results')
      const byName = Object.fromEntries(results().map((r) => [String(r.image).split('/').pop(), r]))
      expect(byName['IMG_0001.HEIC']).toMatchObject({ cancelled: false })
      expect(byName['IMG_0001.HEIC']?.previews).toBeUndefined()
      expect(byName['DSC_0002.dng']).toMatchObject({
        cancelled: false,
        previews: [{ image: join(folder, 'DSC_0002.dng'), width: 480, height: 640 }]
      })
    } finally {
      child.kill('SIGINT')
      await closed
      await rm(base, { recursive: true, force: true })
    }
  }, 120_000)
})

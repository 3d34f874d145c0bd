import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SmolVLM } from '../../src/engine/smolvlm.ts'
import { collect } from '../support/collect.ts'
import { imagePath, loadReference, modelDir } from '../support/reference.ts'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const reference = loadReference('tiny-gqa')
const byName = (name: string) => reference.cases.find((c) => c.name === name)!

/** Runs the real CLI from source, as `npm run smolvlm --` does. */
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

const model = ['--model', modelDir('tiny-gqa'), '--device', 'cpu', '--max-new-tokens', '24']

describe('smolvlm caption', () => {
  let tmp: string
  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'smolvlm-cli-'))
  })
  afterAll(() => rm(tmp, { recursive: true, force: true }))

  it('prints one JSON result per image with the reference tokens', async () => {
    const wide = byName('describe-wide')
    const tall = byName('describe-tall')
    const { code, stdout } = await smolvlm([
      'caption',
      ...model,
      '--json',
      imagePath(wide.images[0]),
      imagePath(tall.images[0])
    ])
    expect(code).toBe(0)
    const results = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
    expect(results.map((r) => r.tokenIds)).toEqual([wide.generated_ids, tall.generated_ids])
    expect(results[0]).toMatchObject({
      images: [imagePath(wide.images[0])],
      prompt: 'Can you describe this image?',
      text: wide.generated_text_skip_special.trimStart(),
      inputTokens: wide.input_ids.length,
      device: 'cpu',
      variant: 'fp32'
    })
    expect(Object.keys(results[0].timings).sort()).toEqual(
      ['decodeMs', 'preprocessMs', 'prefillMs', 'tokensPerSecond', 'totalMs', 'ttftMs', 'visionMs'].sort()
    )
  })

  it('reports a bad image on one stderr line and one JSON line, describes the others and exits 1', async () => {
    const wide = byName('describe-wide')
    const bad = imagePath('images/bad/not-an-image.jpg')
    const { code, stdout, stderr } = await smolvlm([
      'caption',
      ...model,
      '--json',
      bad,
      imagePath(wide.images[0])
    ])
    expect(code).toBe(1)
    const failures = stderr
      .split('\n')
      .filter((line) => line.startsWith('smolvlm:') && line.includes('not-an-image.jpg'))
    expect(failures).toHaveLength(1)
    const [failed, described] = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
    expect(failed).toEqual({
      image: bad,
      images: [bad],
      error: { code: 'bad-image', message: expect.stringContaining('not-an-image.jpg') }
    })
    expect(described.tokenIds).toEqual(wide.generated_ids)
  })

  it('puts every image in one prompt with --together', async () => {
    const images = [imagePath('images/wide.png'), imagePath('images/tall.png')]
    const { code, stdout } = await smolvlm(['caption', ...model, '--json', '--together', ...images])
    expect(code).toBe(0)
    const engine = await SmolVLM.load(modelDir('tiny-gqa'), { device: 'cpu' })
    const expected = await collect(engine.describe({ images, maxNewTokens: 24 }))
    await engine.dispose()
    const result = JSON.parse(stdout.trim())
    expect(result.images).toEqual(images)
    expect(result.tiles).toBe(9 + 9)
    expect(result.inputTokens).toBe(expected.done.stats.inputTokens)
    expect(result.tokenIds).toEqual(expected.done.tokenIds)
  })

  it('dumps the model inputs and reproduces the run from them', async () => {
    const square = byName('describe-square')
    const dump = join(tmp, 'inputs.json')
    const first = await smolvlm([
      'caption',
      ...model,
      '--json',
      '--dump-inputs',
      dump,
      imagePath(square.images[0])
    ])
    expect(first.code).toBe(0)
    const dumped = JSON.parse(await readFile(dump, 'utf8'))
    expect(dumped.input_ids).toEqual(square.input_ids)
    expect(dumped.pixel_values.dims).toEqual(square.pixel_values_shape)
    const second = await smolvlm(['caption', ...model, '--json', '--inputs', dump])
    expect(second.code).toBe(0)
    expect(JSON.parse(second.stdout).tokenIds).toEqual(square.generated_ids)
  })

  it('streams plain text without --json', async () => {
    const wide = byName('describe-wide')
    const { code, stdout } = await smolvlm(['caption', ...model, imagePath(wide.images[0])])
    expect(code).toBe(0)
    expect(stdout).toBe(`${imagePath(wide.images[0])}:\n${wide.generated_text_skip_special.trimStart()}\n`)
  })

  it('exits 2 with a one-line reason for a missing model folder', async () => {
    const { code, stderr } = await smolvlm([
      'caption',
      '--model',
      join(tmp, 'none'),
      imagePath('images/tiny.png')
    ])
    expect(code).toBe(2)
    expect(stderr.trim().split('\n')).toEqual([expect.stringMatching(/none/)])
  })

  it('exits 2 on an unknown option', async () => {
    const { code, stderr } = await smolvlm([
      'caption',
      ...model,
      '--frobnicate',
      imagePath('images/tiny.png')
    ])
    expect(code).toBe(2)
    expect(stderr).toMatch(/frobnicate/)
  })
})

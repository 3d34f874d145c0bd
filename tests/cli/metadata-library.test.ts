import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MetadataWriter } from '../../src/metadata/metadata-writer.ts'
import { pixelHash } from '../../src/metadata/pixel-hash.ts'
import { jsonLines, runCli, TINY_MODEL } from './run-cli.ts'

const FIXTURES = join(import.meta.dirname, '../fixtures/images')
const model = [
  '--model',
  TINY_MODEL,
  '--device',
  'cpu',
  '--max-new-tokens',
  '12',
  '--no-split',
  '--threads',
  '1'
]
let home: string
let photos: string
let writer: MetadataWriter
const env = () => ({ ...process.env, SMOLVLM_MODEL: '', SMOLVLM_HOME: home })

/** A word of at least four letters from a caption (the test model writes word salad, but the same salad). */
function wordOf(text: string): string {
  // The start of a search token (letters and digits), so the word is a prefix of what the index holds.
  const word = text.match(/(?<![\p{L}\p{N}\p{M}])\p{L}{4,}/u)?.[0]
  if (!word) throw new Error(`no word in ${JSON.stringify(text)}`)
  return word
}

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'smolvlm-cli-library-'))
  photos = join(home, 'photos')
  await rm(photos, { recursive: true, force: true })
  await (await import('node:fs/promises')).mkdir(photos)
  await copyFile(join(FIXTURES, 'large.jpg'), join(photos, 'beach.jpg'))
  await copyFile(join(FIXTURES, 'square.png'), join(photos, 'square.png'))
  writer = new MetadataWriter()
})

afterAll(async () => {
  await writer.close()
  await rm(home, { recursive: true, force: true })
})

describe('smolvlm caption --write-metadata and the caption library', () => {
  let captions: Record<string, unknown>[] = []

  it('writes each caption into its image (pixels unchanged), reports it in the JSON line, and keeps it', async () => {
    const jpg = join(photos, 'beach.jpg')
    const before = await pixelHash(jpg)
    const result = await runCli(['caption', ...model, '--json', '--write-metadata', 'embedded', photos], {
      env: env()
    })
    expect(result.stderr).not.toContain('warning')
    expect(result.code).toBe(0)
    captions = jsonLines(result.stdout)
    expect(captions.map((c) => [c['image'], c['metadata']])).toEqual([
      [jpg, { file: jpg, where: 'embedded', outcome: 'written', reason: null }],
      [
        join(photos, 'square.png'),
        { file: join(photos, 'square.png'), where: 'embedded', outcome: 'written', reason: null }
      ]
    ])
    expect((await writer.read(jpg)).description).toBe(String(captions[0]?.['text']).trim())
    expect(await pixelHash(jpg)).toBe(before)
    const count = await runCli(['library', 'count'], { env: env() })
    expect(count.stdout).toBe('2\n')
  })

  it('a second run skips the described images (policy skip) and says why on stderr', async () => {
    const result = await runCli(
      ['caption', ...model, '--write-metadata', 'embedded', join(photos, 'beach.jpg')],
      {
        env: env()
      }
    )
    expect(result.code).toBe(0)
    expect(result.stderr).toContain(
      'smolvlm: metadata: skipped (in the file): it already has a description (policy: skip)'
    )
  })

  it('--skip-described leaves out images that already have a description, saying so', async () => {
    const result = await runCli(['caption', ...model, '--json', '--skip-described', photos], { env: env() })
    expect(result.code).toBe(0)
    expect(jsonLines(result.stdout).map((line) => [line['image'], line['skipped']])).toEqual([
      [join(photos, 'beach.jpg'), 'already described'],
      [join(photos, 'square.png'), 'already described']
    ])
    expect(result.stderr).toContain('square.png: skipped, it already has a description in its metadata')
  })

  it('smolvlm search finds an image by a word of its caption, in a new process, as JSON', async () => {
    const text = String(captions[0]?.['text'])
    const result = await runCli(['search', '--json', wordOf(text)], { env: env() })
    expect(result.code).toBe(0)
    const hits = jsonLines(result.stdout)
    expect(hits.map((h) => h['image'])).toContain(join(photos, 'beach.jpg'))
    const hit = hits.find((h) => h['image'] === join(photos, 'beach.jpg'))
    expect(hit).toMatchObject({
      caption: text.trim(),
      prompt: 'Can you describe this image?',
      model: TINY_MODEL,
      device: 'cpu',
      source: 'cli'
    })
    // Its history: the second run (skipped) first, then the first run, which wrote the metadata.
    const history = await runCli(['search', '--json', '--history', wordOf(text)], { env: env() })
    const beach = jsonLines(history.stdout).filter((h) => h['image'] === join(photos, 'beach.jpg'))
    expect(beach.map((h) => h['writes'])).toEqual([
      [],
      [{ kind: 'embedded', file: join(photos, 'beach.jpg'), outcome: 'written' }]
    ])
  })

  it('re-exports search results as .xmp sidecars and as CSV', async () => {
    const text = String(captions[1]?.['text'])
    const png = join(photos, 'square.png')
    const result = await runCli(
      ['search', '--write-metadata', 'xmp', '--xmp-naming', 'adobe', wordOf(text)],
      {
        env: env()
      }
    )
    expect(result.code).toBe(0)
    expect((await writer.readFile(join(photos, 'square.xmp'))).description).toBe(
      String(captions.find((c) => c['image'] === png)?.['text']).trim()
    )
    const csv = await runCli(['search', '--csv', wordOf(text)], { env: env() })
    expect(csv.stdout.split('\r\n')[0]).toBe('image,path,caption,prompt,model,variant,provider,time')
    expect(csv.stdout).toContain(`square.png,${png},`)
  })

  it('--no-history keeps nothing; library clear forgets everything', async () => {
    await runCli(['caption', ...model, '--no-history', join(photos, 'square.png')], { env: env() })
    expect((await runCli(['library', 'count'], { env: env() })).stdout).toBe('3\n')
    const cleared = await runCli(['library', 'clear'], { env: env() })
    expect(cleared.stderr).toBe('smolvlm: forgot 3 captions\n')
    expect((await runCli(['library', 'count'], { env: env() })).stdout).toBe('0\n')
    expect((await readFile(join(home, 'library', 'captions.sqlite'))).length).toBeGreaterThan(0)
  })

  it('refuses --write-metadata with --together, and policy without --write-metadata', async () => {
    const together = await runCli(['caption', ...model, '--together', '--write-metadata', 'xmp', photos], {
      env: env()
    })
    expect(together.code).toBe(2)
    expect(together.stderr).toContain(
      '--write-metadata writes one caption per image; it cannot be used with --together.'
    )
    const policy = await runCli(['caption', ...model, '--metadata-policy', 'append', photos], { env: env() })
    expect(policy.code).toBe(2)
    expect(policy.stderr).toContain('--metadata-policy needs --write-metadata embedded|xmp.')
  })
})

import { copyFile, mkdir, mkdtemp, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseCaptionArgs } from '../../src/cli/caption.ts'
import { shardOf } from '../../src/cli/shard.ts'
import { imagePath } from '../support/reference.ts'
import { finished, jsonLines, runCli, startCli } from './run-cli.ts'

/** The official-shape fixture: its decoder can batch, so the default batch size is 4 here. */
const BATCH_MODEL = fileURLToPath(new URL('../fixtures/models/tiny-gqa-genai', import.meta.url))
const fast = (tokens: number) => [
  '--model',
  BATCH_MODEL,
  '--device',
  'cpu',
  '--no-split',
  '--max-new-tokens',
  String(tokens),
  '--no-history'
]
const FIXTURES = [
  'tiny.png',
  'gray.png',
  'wide.png',
  'tall.png',
  'square.png',
  'rgba.png',
  'palette.png',
  'cmyk.jpg'
]

/** A folder of `count` images (the fixtures over again under new names), in name order. */
async function folder(root: string, name: string, count: number): Promise<string[]> {
  const dir = join(root, name)
  await mkdir(dir, { recursive: true })
  const paths: string[] = []
  for (let i = 0; i < count; i++) {
    const source = FIXTURES[i % FIXTURES.length]
    const path = join(dir, `img-${String(i).padStart(2, '0')}${source.slice(source.lastIndexOf('.'))}`)
    await copyFile(imagePath(`images/${source}`), path)
    paths.push(path)
  }
  return paths
}

const imagesOf = (lines: Record<string, unknown>[]) => lines.map((line) => line['image'] as string)

describe('smolvlm caption --batch-size, --shard, --resume', () => {
  let tmp: string
  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'smolvlm-cli-batch-'))
  })
  afterAll(() => rm(tmp, { recursive: true, force: true }))

  it('gives the same lines in argument order with --batch-size 1, 4 and the default', async () => {
    const images = [
      ...FIXTURES.map((name) => imagePath(`images/${name}`)),
      imagePath('images/bad/not-an-image.jpg'),
      imagePath('images/exif-rotated.jpg')
    ]
    const run = (extra: string[]) => runCli(['caption', ...fast(8), ...extra, ...images])
    const [one, four, auto, plainOne, plainFour] = [
      await run(['--json', '--batch-size', '1']),
      await run(['--json', '--batch-size', '4']),
      await run(['--json']),
      await run(['--batch-size', '1']),
      await run(['--batch-size', '4'])
    ]
    const tokens = (stdout: string) =>
      jsonLines(stdout).map((line) => ({
        image: line['image'],
        text: line['text'],
        tokenIds: line['tokenIds'],
        error: line['error']
      }))
    expect(one.code).toBe(1)
    expect(tokens(one.stdout)).toHaveLength(images.length)
    expect(imagesOf(jsonLines(one.stdout))).toEqual(images)
    expect(tokens(one.stdout)[8]).toMatchObject({ error: { code: 'bad-image' } })
    expect(tokens(one.stdout).filter((line) => (line.tokenIds as number[] | undefined)?.length)).toHaveLength(
      9
    )
    for (const other of [four, auto]) {
      expect(other.code).toBe(1)
      expect(tokens(other.stdout)).toEqual(tokens(one.stdout))
    }
    // Decoded together: the images of one batch share one prefill.
    const prefills = jsonLines(four.stdout).map(
      (line) => (line['timings'] as { prefillMs?: number })?.prefillMs
    )
    expect(prefills[0]).toBe(prefills[1])
    // Plain text: each caption under its name, in argument order, the progress lines too.
    expect(plainFour.code).toBe(1)
    expect(plainFour.stdout).toBe(plainOne.stdout)
    const progress = (stderr: string) => stderr.split('\n').filter((line) => /^\[\d+\/\d+\]/.test(line))
    expect(progress(plainFour.stderr)).toEqual(progress(plainOne.stderr))
    expect(progress(plainFour.stderr)).toHaveLength(images.length)
  }, 60_000)

  it('refuses a bad --shard or --batch-size, and these options with --together or --inputs', () => {
    for (const [args, message] of [
      [['--shard', '3/3'], '--shard 3/3 is not valid'],
      [['--shard', '1/0'], '--shard 1/0 is not valid'],
      [['--shard', 'a/b'], '--shard a/b is not valid'],
      [['--batch-size', '0'], '--batch-size 0 is not valid'],
      [['--batch-size', '65'], '--batch-size 65 is not valid'],
      [['--shard', '0/2', '--together'], '--shard works on one caption per image'],
      [['--resume', 'r.jsonl', '--inputs', 'in.json'], '--resume works on images']
    ] as const) {
      expect(() => parseCaptionArgs(['--model', 'm', ...args, 'a.png'])).toThrow(message)
    }
    expect(parseCaptionArgs(['--model', 'm', '--shard', '2/3', 'a.png']).shard).toEqual({
      index: 2,
      count: 3
    })
  })

  it('writes metadata, keeps the library and skips described images in batches as one at a time does', async () => {
    const images = await folder(tmp, 'metadata', 5)
    const home = join(tmp, 'home')
    const env = { ...process.env, SMOLVLM_MODEL: '', SMOLVLM_HOME: home }
    const args = ['caption', ...fast(4).filter((a) => a !== '--no-history'), '--json', join(tmp, 'metadata')]
    const written = await runCli([...args, '--write-metadata', 'xmp'], { env })
    expect(written.code).toBe(0)
    expect(jsonLines(written.stdout).map((line) => [line['image'], line['metadata']])).toEqual(
      images.map((image) => [image, { file: `${image}.xmp`, where: 'xmp', outcome: 'written', reason: null }])
    )
    expect((await runCli(['library', 'count'], { env })).stdout).toBe('5\n')
    const skipped = await runCli([...args, '--skip-described', '--resume', join(tmp, 'metadata.jsonl')], {
      env
    })
    expect(skipped.code).toBe(0)
    const lines = jsonLines(skipped.stdout)
    expect(lines.map((line) => [line['image'], line['skipped']])).toEqual(
      images.map((image) => [image, 'already described'])
    )
    expect(jsonLines(await readFile(join(tmp, 'metadata.jsonl'), 'utf8'))).toEqual(lines)
  }, 60_000)

  it('puts a path in the same shard every time, from any spelling of it, and splits evenly', () => {
    // Fixed values: a change of the hash would move images between shards of runs already under way.
    expect(shardOf('/data/photos/a.jpg', 4)).toBe(1)
    expect(shardOf('/data/photos/a.jpg', 1000)).toBe(673)
    expect(shardOf('/data/photos/../photos/a.jpg', 4)).toBe(1)
    expect(shardOf('a.jpg', 7)).toBe(shardOf(join(process.cwd(), 'a.jpg'), 7))
    const counts = [0, 0, 0, 0]
    for (let k = 0; k < 4000; k++) counts[shardOf(`/d/${k}.jpg`, 4)]++
    expect(Math.min(...counts)).toBeGreaterThan(900)
  })

  it('three shards run in parallel describe the whole folder exactly once', async () => {
    const images = await folder(tmp, 'sharded', 12)
    const runs = await Promise.all(
      [0, 1, 2].map((i) =>
        runCli([
          'caption',
          ...fast(2),
          '--json',
          '--shard',
          `${i}/3`,
          '--resume',
          join(tmp, `shard-${i}.jsonl`),
          join(tmp, 'sharded')
        ])
      )
    )
    const seen: string[] = []
    for (const [i, run] of runs.entries()) {
      expect({ i, code: run.code, stderr: run.code === 0 ? '' : run.stderr }).toEqual({
        i,
        code: 0,
        stderr: ''
      })
      const lines = jsonLines(run.stdout)
      // The results file holds the lines --json printed (in the order they finished).
      const file = jsonLines(await readFile(join(tmp, `shard-${i}.jsonl`), 'utf8'))
      expect([...imagesOf(file)].sort()).toEqual([...imagesOf(lines)].sort())
      expect(run.stderr).toContain(`smolvlm: shard ${i}/3: ${lines.length} of 12 images`)
      seen.push(...imagesOf(lines))
    }
    expect([...seen].sort()).toEqual(images)
  }, 60_000)

  it('after kill -9 mid-run, --resume finishes with no duplicate and no gap', async () => {
    const images = await folder(tmp, 'killed', 24)
    const results = join(tmp, 'killed.jsonl')
    const args = ['caption', ...fast(24), '--resume', results, join(tmp, 'killed')]
    const child = startCli(args)
    const exited = finished(child, 60_000)
    // Kill as soon as some results are in the file, while the rest are still running.
    for (let i = 0; i < 3000; i++) {
      const size = await stat(results).then(
        (s) => s.size,
        () => 0
      )
      if (size > 0 || child.exitCode !== null) break
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
    child.kill('SIGKILL')
    const killed = await exited
    expect(killed.signal).toBe('SIGKILL')
    const before = await readFile(results, 'utf8')
    const whole = before.slice(0, before.lastIndexOf('\n') + 1)
    const done = imagesOf(jsonLines(whole))
    expect(done.length).toBeGreaterThan(0)
    expect(done.length).toBeLessThan(images.length)

    const resumed = await runCli([...args, '--json'])
    expect(resumed.code).toBe(0)
    expect(resumed.stderr).toContain(
      `${done.length} of 24 images already there, ${24 - done.length} to describe`
    )
    // This run describes only what was missing…
    expect([...imagesOf(jsonLines(resumed.stdout)), ...done].sort()).toEqual(images)
    // …and the file ends up with every image once, every line whole.
    const after = await readFile(results, 'utf8')
    expect(after.endsWith('\n')).toBe(true)
    const lines = jsonLines(after)
    expect([...imagesOf(lines)].sort()).toEqual(images)
    expect(lines.every((line) => Array.isArray(line['tokenIds']) && line['cancelled'] === false)).toBe(true)
  }, 90_000)

  it('repairs an unfinished last line and keeps failures as results', async () => {
    const images = await folder(tmp, 'partial', 3)
    const bad = join(tmp, 'partial', 'img-99.jpg')
    await writeFile(bad, 'not an image')
    const results = join(tmp, 'partial.jsonl')
    const args = ['caption', ...fast(2), '--resume', results, join(tmp, 'partial')]
    const first = await runCli(args)
    expect(first.code).toBe(1)
    const complete = await readFile(results, 'utf8')
    const lines = complete.trimEnd().split('\n')
    expect(lines).toHaveLength(4)
    expect(jsonLines(complete).find((line) => line['image'] === bad)).toMatchObject({
      error: { code: 'bad-image' }
    })
    // A write cut off half-way through the last line (the file as a kill inside write() would leave it).
    const last = lines.find((line) => !line.includes(bad))!
    const kept = lines.filter((line) => line !== last)
    await writeFile(results, `${kept.join('\n')}\n${last.slice(0, Math.floor(last.length / 2))}`)
    const cut = (await stat(results)).size

    const again = await runCli([...args, '--json'])
    expect(again.code).toBe(0)
    expect(again.stderr).toContain('removed an unfinished last line')
    expect(again.stderr).toContain('3 of 4 images already there, 1 to describe')
    expect(imagesOf(jsonLines(again.stdout))).toEqual([JSON.parse(last).image])
    const repaired = await readFile(results, 'utf8')
    expect(repaired.length).toBeGreaterThan(cut - Math.floor(last.length / 2))
    expect([...imagesOf(jsonLines(repaired))].sort()).toEqual([...images, bad].sort())

    // Nothing left: no model load, exit 0; an empty file is a fresh start.
    const none = await runCli(args)
    expect(none).toMatchObject({ code: 0 })
    expect(none.stderr).toContain('4 of 4 images already there, 0 to describe')
    await truncate(results, 0)
    const fresh = await runCli(args)
    expect(fresh.code).toBe(1)
    expect(jsonLines(await readFile(results, 'utf8'))).toHaveLength(4)
  }, 60_000)

  it('one at a time (a decoder that cannot batch) and without --json, --resume still keeps the --json lines', async () => {
    const images = await folder(tmp, 'sequential', 3)
    const results = join(tmp, 'sequential.jsonl')
    const tiny = fileURLToPath(new URL('../fixtures/models/tiny-gqa', import.meta.url))
    const args = ['caption', ...fast(3).slice(2), '--model', tiny, join(tmp, 'sequential')]
    const plain = await runCli([...args, '--resume', results])
    expect(plain.code).toBe(0)
    expect(plain.stdout).toContain(`${images[0]}:\n`)
    const kept = jsonLines(await readFile(results, 'utf8'))
    const printed = jsonLines((await runCli([...args, '--json'])).stdout)
    const same = (lines: Record<string, unknown>[]) =>
      lines.map((line) => ({ ...line, timings: undefined, metadata: undefined }))
    expect(same(kept)).toEqual(same(printed))
    expect(imagesOf(kept)).toEqual(images)
  }, 60_000)

  it('stops a batched run on Ctrl-C with 130, leaving no cancelled line in the results file', async () => {
    const images = await folder(tmp, 'interrupted', 24)
    const results = join(tmp, 'interrupted.jsonl')
    const child = startCli(['caption', ...fast(48), '--json', '--resume', results, join(tmp, 'interrupted')])
    const exited = finished(child, 60_000)
    await new Promise<void>((resolve) => {
      let seen = ''
      child.stderr?.on('data', (text: string) => {
        seen += text
        if (seen.includes('[5/24]')) resolve()
      })
    })
    child.kill('SIGINT')
    const { code, stdout, stderr } = await exited
    expect(code).toBe(130)
    const left = Number(/interrupted; (\d+) of 24 images not described/.exec(stderr)?.[1])
    const described = jsonLines(stdout).filter((line) => line['cancelled'] === false)
    expect(described.length + left).toBe(24)
    expect(left).toBeGreaterThan(0)
    const kept = jsonLines(await readFile(results, 'utf8'))
    expect([...imagesOf(kept)].sort()).toEqual([...imagesOf(described)].sort())
    expect(images).toEqual(expect.arrayContaining(imagesOf(kept)))
  }, 60_000)
})

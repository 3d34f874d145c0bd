import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildHostileCorpus } from '../support/hostile-corpus.ts'
import type { CorpusEntry } from '../support/hostile-corpus.ts'
import { imagePath } from '../support/reference.ts'
import { finished, jsonLines, runCli, startCli, TINY_MODEL } from './run-cli.ts'
import type { CliResult } from './run-cli.ts'

/**
 * Issue 16's hostile-input corpus through the real CLI, in one batch with --json: every input gives its JSON
 * line (a caption, or the typed error) in order, none holds the batch up, memory stays bounded, exit code 1.
 * Then each broken model folder: exit 2 with one sentence, before any image runs.
 */
const corpus = await buildHostileCorpus()
const imagesDir = join(corpus.dir, 'images')
afterAll(() => corpus.cleanup())

/** Seconds one input may take before the batch counts as stuck (a caption here takes well under one). */
const PER_INPUT_MS = 30_000
/** Resident memory the CLI may reach: the tiny model needs ~200 MB; an endless read would pass this fast. */
const MAX_RSS_BYTES = 1.5 * 1024 ** 3

/** The entry every input of the batch is checked against: the corpus's, plus a file deleted mid-batch. */
interface BatchInput {
  readonly id: string
  /** As given on the command line (relative to the corpus's image folder, after `--`). */
  readonly arg: string
  readonly expect: CorpusEntry['expect']
  readonly message?: RegExp
}

describe('the hostile-input corpus through `smolvlm caption --json`', () => {
  let scratch: string
  let doomed: string
  const inputs: BatchInput[] = corpus.images.map((entry) => ({
    id: entry.id,
    // Relative names, so a leading dash, a newline or an escape sequence reaches the CLI as the name itself.
    arg: basename(entry.path),
    expect: entry.expect,
    message: entry.message
  }))
  let result: CliResult
  let lines: Record<string, unknown>[]
  let progressGapsMs: number[]
  let maxRss = 0

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'smolvlm-corpus-cli-'))
    doomed = join(scratch, 'deleted-mid-batch.png')
    await copyFile(imagePath('images/tiny.png'), doomed)
    // Second to last: it exists when the batch starts (and is expanded), and is gone when its turn comes.
    inputs.splice(inputs.length - 1, 0, {
      id: 'deleted-mid-batch',
      arg: doomed,
      expect: 'bad-image',
      message: /does not exist/
    })
    const doomedIndex = inputs.findIndex((input) => input.id === 'deleted-mid-batch')
    const child = startCli(
      [
        'caption',
        '--model',
        TINY_MODEL,
        '--device',
        'cpu',
        '--no-split',
        '--max-new-tokens',
        '4',
        '--json',
        '--',
        ...inputs.map((input) => input.arg)
      ],
      { cwd: imagesDir }
    )
    const done = finished(child, inputs.length * PER_INPUT_MS)
    const arrivals: number[] = []
    let stderr = ''
    child.stderr?.on('data', (text: string) => {
      stderr += text
      const count = stderr.split('\n').filter((line) => /^\[\d+\/\d+\] /.test(line)).length
      while (arrivals.length < count) arrivals.push(performance.now())
      if (count === doomedIndex) void rm(doomed, { force: true })
    })
    const rssTimer = setInterval(() => {
      readFile(`/proc/${child.pid}/status`, 'utf8').then(
        (status) => {
          const kb = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0)
          maxRss = Math.max(maxRss, kb * 1024)
        },
        () => undefined // exited, or not Linux
      )
    }, 100)
    result = await done
    clearInterval(rssTimer)
    arrivals.push(performance.now())
    progressGapsMs = arrivals.slice(1).map((t, i) => t - arrivals[i])
    lines = jsonLines(result.stdout)
  }, 300_000)

  afterAll(() => rm(scratch, { recursive: true, force: true }))

  it('finishes the batch with exit code 1, one JSON line per input in order, each input within the bound', () => {
    expect({ code: result.code, signal: result.signal }).toEqual({ code: 1, signal: null })
    expect(lines.map((line) => line['image'])).toEqual(inputs.map((input) => input.arg))
    expect(progressGapsMs).toHaveLength(inputs.length)
    expect(Math.max(...progressGapsMs)).toBeLessThan(PER_INPUT_MS)
    expect(maxRss).toBeLessThan(MAX_RSS_BYTES)
  })

  it('keeps names with control characters from reaching the terminal raw', () => {
    expect(result.stderr.includes('\u001b')).toBe(false)
    expect(result.stderr).toContain('\\x1b[31mred\\x1b[0m.png')
    expect(result.stderr).toContain('two\\nlines.png')
  })

  it.each(inputs.map((input) => [input.id, input] as const))('%s', (_id, input) => {
    const line = lines.find((l) => l['image'] === input.arg)
    expect(line, `no JSON line for ${input.id}`).toBeDefined()
    if (input.expect === 'ok') {
      expect(line?.['error']).toBeUndefined()
      expect(typeof line?.['text']).toBe('string')
    } else {
      expect(line?.['error']).toMatchObject({ code: input.expect, message: expect.any(String) })
      if (input.message) {
        expect((line?.['error'] as { message: string }).message).toMatch(input.message)
      }
    }
  })

  if (corpus.skipped.length > 0) {
    it.skip(`not made on this machine: ${corpus.skipped.map((s) => `${s.id} (${s.reason})`).join('; ')}`, () => {})
  }
})

describe('broken model folders through `smolvlm caption`', () => {
  it.each(corpus.models.map((entry) => [entry.id, entry] as const))(
    '%s: exit 2, one sentence, no image run',
    async (_id, entry) => {
      const { code, stdout, stderr } = await runCli(
        ['caption', '--model', entry.path, '--device', 'cpu', '--json', imagePath('images/tiny.png')],
        { timeoutMs: PER_INPUT_MS }
      )
      expect(code).toBe(2)
      expect(stdout).toBe('')
      const messages = stderr.split('\n').filter((line) => line.startsWith('smolvlm:'))
      expect(messages).toHaveLength(1)
      if (entry.message) expect(messages[0]).toMatch(entry.message)
    }
  )
})

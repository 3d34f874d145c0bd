/**
 * `smolvlm watch` through the real CLI on the tiny fixture model: real files written while it runs, real timing,
 * outcomes polled for with generous timeouts (nothing asserts how long anything took).
 */
import type { ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync
} from 'node:fs'
import { open, rename } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach, describe, expect, it } from 'vitest'
import { MetadataWriter } from '../../src/metadata/metadata-writer.ts'
import { imagePath } from '../support/reference.ts'
import { startCli, TINY_MODEL } from './run-cli.ts'

const WIDE = imagePath('images/wide.png')
const TALL = imagePath('images/tall.png')
const SQUARE = imagePath('images/square.png')
const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex')

/** A running `smolvlm watch`, its output as it comes. */
class Watching {
  stdout = ''
  stderr = ''
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>

  constructor(readonly child: ChildProcess) {
    child.stdout?.setEncoding('utf8').on('data', (text: string) => (this.stdout += text))
    child.stderr?.setEncoding('utf8').on('data', (text: string) => (this.stderr += text))
    this.exited = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal })))
  }

  /** The JSON lines on stdout so far (whole lines only). */
  get results(): Record<string, unknown>[] {
    return this.stdout
      .split('\n')
      .slice(0, -1)
      .map((line) => JSON.parse(line) as Record<string, unknown>)
  }

  resultsFor(path: string): Record<string, unknown>[] {
    return this.results.filter((r) => r['image'] === path)
  }

  async until(check: () => boolean, what: string, timeoutMs = 90_000): Promise<void> {
    const end = Date.now() + timeoutMs
    while (!check()) {
      if (Date.now() > end || this.child.exitCode !== null)
        throw new Error(`${what}: not seen.\nstdout:\n${this.stdout}\nstderr:\n${this.stderr}`)
      await sleep(25)
    }
  }

  /** Ctrl-C: the watch ends cleanly. */
  async interrupt(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    this.child.kill('SIGINT')
    return this.exited
  }
}

const running: Watching[] = []
afterEach(() => {
  for (const w of running.splice(0)) if (w.child.exitCode === null) w.child.kill('SIGKILL')
})

function watch(folder: string, home: string, extra: readonly string[] = []): Watching {
  const args = [
    'watch',
    '--model',
    TINY_MODEL,
    '--device',
    'cpu',
    '--threads',
    '1',
    '--json',
    '--verbose',
    '--settle-ms',
    '1200',
    ...extra,
    folder
  ]
  const w = new Watching(startCli(args, { env: { ...process.env, SMOLVLM_MODEL: '', SMOLVLM_HOME: home } }))
  running.push(w)
  return w
}

function setup(): { folder: string; home: string } {
  const base = realpathSync(mkdtempSync(join(tmpdir(), 'smolvlm-cli-watch-')))
  const folder = join(base, 'in')
  mkdirSync(folder)
  return { folder, home: join(base, 'home') }
}

/** The watch's ledger lines (one file per watched folder under SMOLVLM_HOME/watch). */
function ledger(home: string): Record<string, unknown>[] {
  const dir = join(home, 'watch')
  return readdirSync(dir).flatMap((name) =>
    readFileSync(join(dir, name), 'utf8')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>)
  )
}

/** Writes `source` to `target` in pieces with pauses (longer than the poll interval, shorter than the settle one). */
async function slowCopy(source: string, target: string, chunks: number, pauseMs: number): Promise<void> {
  const bytes = readFileSync(source)
  const handle = await open(target, 'w')
  try {
    const step = Math.ceil(bytes.length / chunks)
    for (let at = 0; at < bytes.length; at += step) {
      await handle.write(bytes.subarray(at, at + step))
      await handle.sync()
      if (at + step < bytes.length) await sleep(pauseMs)
    }
  } finally {
    await handle.close()
  }
}

const ready = (w: Watching) => w.until(() => w.stderr.includes('(Ctrl-C stops)'), 'the watch started')

describe('smolvlm watch', () => {
  it('describes a file copied in slowly once, after the copy ends; a restart does not describe it again', async () => {
    const { folder, home } = setup()
    const first = watch(folder, home, ['--max-new-tokens', '8'])
    await ready(first)
    const target = join(folder, 'slow.png')
    let copyEnded = false
    const copying = slowCopy(WIDE, target, 6, 500).then(() => (copyEnded = true))
    await first.until(() => first.resultsFor(target).length > 0, 'a result for slow.png')
    expect(copyEnded).toBe(true)
    await copying
    // The caption was made from the whole file: the ledger holds the final file's hash and size.
    expect(ledger(home)).toEqual([
      expect.objectContaining({
        path: target,
        hash: sha256(WIDE),
        size: readFileSync(WIDE).length,
        outcome: 'described'
      })
    ])
    // Killed outright (no clean stop), then started again on the same folder.
    first.child.kill('SIGKILL')
    await first.exited
    const second = watch(folder, home, ['--max-new-tokens', '8'])
    await second.until(() => second.stderr.includes(`${target}: done already, skipped`), 'slow.png skipped')
    copyFileSync(TALL, join(folder, 'new.png'))
    await second.until(() => second.results.length > 0, 'a result for new.png')
    const stopped = await second.interrupt()
    expect(stopped.code).toBe(130)
    expect(second.results.map((r) => r['image'])).toEqual([join(folder, 'new.png')])
    expect(first.resultsFor(target)).toHaveLength(1)
    expect(second.stderr).toContain('smolvlm: stopped watching; 1 image described')
  })

  it('a file deleted between being found and being described gives one error line, and the watch goes on', async () => {
    const { folder, home } = setup()
    // A long caption for the first image keeps the second one waiting in the queue.
    const w = watch(folder, home, ['--max-new-tokens', '1500', '--settle-ms', '300'])
    await ready(w)
    const first = join(folder, 'first.png')
    const doomed = join(folder, 'doomed.png')
    copyFileSync(WIDE, first)
    await w.until(() => w.stderr.includes(`] ${first}\n`), 'first.png started')
    copyFileSync(TALL, doomed)
    await w.until(() => w.stderr.includes(`${doomed}: written, waiting for its turn`), 'doomed.png queued')
    expect(w.resultsFor(first)).toEqual([])
    rmSync(doomed)
    await w.until(() => w.resultsFor(doomed).length > 0, 'the error line for doomed.png')
    expect(w.resultsFor(doomed)).toEqual([
      {
        image: doomed,
        images: [doomed],
        error: { code: 'bad-image', message: `${doomed} does not exist.` }
      }
    ])
    expect(w.stderr.split('\n').filter((line) => line === `smolvlm: ${doomed} does not exist.`)).toHaveLength(
      1
    )
    const after = join(folder, 'after.png')
    copyFileSync(SQUARE, after)
    await w.until(() => w.resultsFor(after).length > 0, 'a result for after.png')
    expect(w.resultsFor(after)[0]).toMatchObject({ image: after, cancelled: false })
    expect(w.resultsFor(first)).toHaveLength(1)
    expect((await w.interrupt()).code).toBe(130)
  })

  it('ignores partial and temp names and its own outputs: metadata written into the image and its caption file do not bring it back', async () => {
    const { folder, home } = setup()
    const w = watch(folder, home, [
      '--max-new-tokens',
      '8',
      '--settle-ms',
      '400',
      '--write-metadata',
      'embedded',
      '--write-txt'
    ])
    await ready(w)
    const part = join(folder, 'photo.png.part')
    const photo = join(folder, 'photo.png')
    await slowCopy(WIDE, part, 3, 200)
    copyFileSync(WIDE, join(folder, '.hidden.png'))
    copyFileSync(WIDE, join(folder, '~$photo.png'))
    await w.until(() => w.stderr.includes(`${part}: ignored (still being written)`), '.part ignored')
    await rename(part, photo)
    await w.until(() => w.resultsFor(photo).length > 0, 'a result for photo.png')
    const [result] = w.resultsFor(photo)
    expect(result).toMatchObject({ metadata: { outcome: 'written', where: 'embedded' } })
    // The metadata write replaced photo.png: the watch sees the change, knows the bytes as its own, and skips them.
    await w.until(() => w.stderr.includes(`${photo}: done already, skipped`), 'its own write recognised')
    // Its caption file is the watch's own output: written, seen, ignored.
    await w.until(
      () => w.stderr.includes(`${join(folder, 'photo.txt')}: ignored (not an image)`),
      'photo.txt ignored'
    )
    expect(readFileSync(join(folder, 'photo.txt'), 'utf8')).toBe(`${String(result!['text']).trim()}\n`)
    expect(result).toMatchObject({ captionFile: { file: 'photo.txt', outcome: 'written' } })
    const writer = new MetadataWriter()
    try {
      expect((await writer.read(photo, 'darktable')).description).toBe(result!['text'])
    } finally {
      await writer.close()
    }
    expect((await w.interrupt()).code).toBe(130)
    expect(w.results.map((r) => r['image'])).toEqual([photo])
    expect(w.stderr).toContain(`${join(folder, '.hidden.png')}: ignored (hidden)`)
    expect(w.stderr).toContain(`${join(folder, '~$photo.png')}: ignored (temporary)`)
    expect(ledger(home).map((e) => e['outcome'])).toEqual(['described', 'described'])
    expect(ledger(home)[1]).toMatchObject({ path: photo, hash: sha256(photo) })
  })

  it('refuses a path that is not a folder, and a second folder, with exit 2', async () => {
    const { folder, home } = setup()
    const notFolder = watch(join(folder, 'nothing-here'), home)
    expect((await notFolder.exited).code).toBe(2)
    expect(notFolder.stderr).toContain(`${join(folder, 'nothing-here')} does not exist.`)
    const two = watch(folder, home, [folder])
    expect((await two.exited).code).toBe(2)
    expect(two.stderr).toContain('Watch one folder at a time.')
  })
})

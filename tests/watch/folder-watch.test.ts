import { createHash } from 'node:crypto'
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  utimesSync,
  writeFileSync
} from 'node:fs'
import { open } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach, describe, expect, it } from 'vitest'
import { DoneLedger } from '../../src/watch/done-ledger.ts'
import { FolderWatch } from '../../src/watch/folder-watch.ts'
import type { FolderWatchOptions, WatchItem, WatchNotice } from '../../src/watch/folder-watch.ts'
import { imagePath } from '../support/reference.ts'

const WIDE = imagePath('images/wide.png')
const TALL = imagePath('images/tall.png')
const SETTLE_MS = 800
const POLL_MS = 100

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex')

let started: FolderWatch[] = []
afterEach(async () => {
  await Promise.all(started.map((w) => w.stop()))
  started = []
})

function setup(): { root: string; ledger: DoneLedger } {
  const base = realpathSync(mkdtempSync(join(tmpdir(), 'smolvlm-watch-')))
  const root = join(base, 'in')
  mkdirSync(root)
  return { root, ledger: DoneLedger.open(join(base, 'ledger.jsonl')) }
}

async function start(
  options: Partial<FolderWatchOptions> & Pick<FolderWatchOptions, 'root' | 'ledger'>,
  notices: WatchNotice[] = []
): Promise<FolderWatch> {
  const watch = await FolderWatch.start({
    recursive: false,
    settleMs: SETTLE_MS,
    pollMs: POLL_MS,
    existing: 'describe',
    key: 'k',
    onNotice: (n) => notices.push(n),
    ...options
  })
  started.push(watch)
  return watch
}

/** Writes `source` to `target` in `chunks` pieces with `pauseMs` between them (a slow copy). */
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

/** Resolves with the next item, or with 'none' when `until` settles first. */
function nextOr(watch: FolderWatch, until: Promise<unknown>): Promise<WatchItem | 'none' | null> {
  return Promise.race([watch.next(), until.then(() => 'none' as const)])
}

describe('FolderWatch (real files, real @parcel/watcher)', () => {
  it('a file copied in slowly comes out once, after the copy has ended, with the final bytes', async () => {
    const { root, ledger } = setup()
    const watch = await start({ root, ledger })
    const target = join(root, 'slow.png')
    let copyEnded = false
    // Pauses longer than the poll interval, shorter than the settle interval.
    const copying = slowCopy(WIDE, target, 6, 400).then(() => (copyEnded = true))
    const item = await watch.next()
    expect(copyEnded).toBe(true)
    expect(item).toEqual({
      path: target,
      hash: sha256(WIDE),
      size: readFileSync(WIDE).length,
      mtimeMs: expect.any(Number)
    })
    await copying
    await watch.complete(item as Exclude<WatchItem, { error: unknown }>, 'described')
    // Nothing more of slow.png (its last writes were part of the same copy): the next item is a later arrival.
    copyFileSync(TALL, join(root, 'later.png'))
    expect(await watch.next()).toMatchObject({ path: join(root, 'later.png') })
  })

  it('describes the images already there in name order, skipping what the ledger has done, after a restart', async () => {
    const { root, ledger } = setup()
    for (const name of ['b10.png', 'b2.png', 'a.png']) copyFileSync(TALL, join(root, name))
    writeFileSync(join(root, 'notes.txt'), 'x')
    const notices: WatchNotice[] = []
    const first = await start({ root, ledger, settleMs: 50 }, notices)
    expect(notices).toContainEqual({ type: 'listed', images: 3 })
    const a = await first.next()
    expect(a).toMatchObject({ path: join(root, 'a.png') })
    await first.complete(a as Exclude<WatchItem, { error: unknown }>, 'described')
    await first.stop()
    // A second watch (a restart) on the same ledger: a.png is done; the same bytes under b2.png too.
    copyFileSync(WIDE, join(root, 'b2.png'))
    const again: WatchNotice[] = []
    const second = await start({ root, ledger, settleMs: 50 }, again)
    const next = await second.next()
    expect(next).toMatchObject({ path: join(root, 'b2.png'), hash: sha256(WIDE) })
    expect(again).toContainEqual({ type: 'done-already', path: join(root, 'a.png') })
    await second.complete(next as Exclude<WatchItem, { error: unknown }>, 'described')
    // b10.png holds the same bytes as a.png (done): skipped by hash, so the watch waits.
    const none = await nextOr(second, sleep(1500))
    expect(none).toBe('none')
    expect(again).toContainEqual({ type: 'done-already', path: join(root, 'b10.png') })
  })

  it('a file deleted after it was found comes out as a per-file error, and the watch goes on', async () => {
    const { root, ledger } = setup()
    const notices: WatchNotice[] = []
    const watch = await start({ root, ledger }, notices)
    copyFileSync(WIDE, join(root, 'gone.png'))
    await until(() => notices.some((n) => n.type === 'queued' && n.path.endsWith('gone.png')))
    rmSync(join(root, 'gone.png'))
    const lost = await watch.next()
    expect(lost).toMatchObject({ path: join(root, 'gone.png') })
    expect(lost && 'error' in lost ? lost.error.message : '').toBe(
      `${join(root, 'gone.png')} does not exist.`
    )
    copyFileSync(TALL, join(root, 'next.png'))
    expect(await watch.next()).toMatchObject({ path: join(root, 'next.png') })
  })

  it('an image that cannot be remembered (the ledger gone) is a warning, not a failure of the watch', async () => {
    const { root, ledger } = setup()
    const notices: WatchNotice[] = []
    const watch = await start({ root, ledger, settleMs: 100 }, notices)
    copyFileSync(TALL, join(root, 'a.png'))
    const item = await watch.next()
    ledger.close()
    await expect(watch.complete(item as Exclude<WatchItem, { error: unknown }>, 'described')).resolves.toBe(
      undefined
    )
    expect(notices).toContainEqual({
      type: 'warning',
      message: `${join(root, 'a.png')} is not remembered as done (${ledger.path} is closed); a restart describes it again`
    })
  })

  it('ignores partial and temp names, hidden files and sidecars; a .part renamed to its name comes out once', async () => {
    const { root, ledger } = setup()
    const notices: WatchNotice[] = []
    const watch = await start({ root, ledger }, notices)
    await slowCopy(WIDE, join(root, 'photo.png.part'), 3, 200)
    copyFileSync(WIDE, join(root, '.hidden.png'))
    copyFileSync(WIDE, join(root, '~$lock.png'))
    writeFileSync(join(root, 'photo.txt'), 'a caption\n')
    writeFileSync(join(root, 'photo.png.xmp'), '<x:xmpmeta/>')
    await until(() => notices.filter((n) => n.type === 'ignored').length >= 4)
    const { rename } = await import('node:fs/promises')
    await rename(join(root, 'photo.png.part'), join(root, 'photo.png'))
    expect(await watch.next()).toMatchObject({ path: join(root, 'photo.png') })
    expect(notices.filter((n) => n.type === 'queued').map((n) => (n as { path: string }).path)).toEqual([
      join(root, 'photo.png')
    ])
    const reasons = new Map(
      notices.flatMap((n) => (n.type === 'ignored' ? [[n.path.slice(root.length + 1), n.reason]] : []))
    )
    expect(reasons.get('photo.png.part')).toBe('still being written')
    expect(reasons.get('.hidden.png')).toBe('hidden')
    expect(reasons.get('~$lock.png')).toBe('temporary')
    expect(reasons.get('photo.txt')).toBe('not an image')
    expect(reasons.get('photo.png.xmp')).toBe('not an image')
  })
})

describe('FolderWatch with thousands of images there at start', () => {
  it('hands them out in name order, one file open at a time, and a restart skips them all by a stat each', async () => {
    const { root, ledger } = setup()
    const count = 3000
    const tiny = readFileSync(imagePath('images/tiny.png'))
    const names: string[] = []
    for (let i = 0; i < count; i++) {
      const folder = join(root, `roll${Math.floor(i / 500)}`)
      if (i % 500 === 0) mkdirSync(folder)
      const path = join(folder, `img${i}.png`)
      // Distinct contents (bytes after the PNG's end), settled long ago.
      writeFileSync(path, Buffer.concat([tiny, Buffer.from(`#${i}`)]))
      utimesSync(path, new Date(Date.now() - 3_600_000), new Date(Date.now() - 3_600_000))
      names.push(path)
    }
    names.sort((a, b) => a.localeCompare(b, undefined, { numeric: true }))
    const notices: WatchNotice[] = []
    const watch = await start({ root, ledger, recursive: true, settleMs: 2000 }, notices)
    expect(notices).toContainEqual({ type: 'listed', images: count })
    const openFiles = () => (existsSync('/proc/self/fd') ? readdirSync('/proc/self/fd').length : 0)
    const baseline = openFiles()
    let mostOpen = 0
    const handedOut: string[] = []
    for (let i = 0; i < count; i++) {
      const item = await watch.next()
      mostOpen = Math.max(mostOpen, openFiles())
      if (!item || 'error' in item) throw new Error(`unexpected ${JSON.stringify(item)}`)
      handedOut.push(item.path)
      await watch.complete(item, 'described')
    }
    expect(handedOut).toEqual(names)
    expect(mostOpen - baseline).toBeLessThan(10)
    await watch.stop()

    const again: WatchNotice[] = []
    const restarted = await start({ root, ledger, recursive: true, settleMs: 2000 }, again)
    const none = nextOr(
      restarted,
      until(() => again.filter((n) => n.type === 'done-already').length === count)
    )
    expect(await none).toBe('none')
  }, 120_000)
})

/** Polls a condition (generous timeout; no timing is asserted). */
async function until(check: () => boolean, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await sleep(25)
  }
}

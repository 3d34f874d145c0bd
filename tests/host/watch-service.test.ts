/**
 * "Watch this folder" in the host, under Node (no Electron): the folder comes from the dialog stand-in, images
 * that land in it reach the page as `watch-images`, the page's finished captions (library.record) make them done
 * (and write their caption files), and a restart of the app watches the folder again without redoing them.
 */
import { copyFile, mkdir, open, readFile, realpath, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach, describe, expect, it } from 'vitest'
import { AppHost } from '../../src/host/app-host.ts'
import { fromFolder } from '../../src/host/watch-service.ts'
import type { ImageRef, WatchStatus } from '../../src/shared/contract.ts'
import { KEYWORD_PROMPT } from '../../src/shared/keywords.ts'
import { inProcessLauncher } from './support/fake-worker.ts'
import { image } from './support/jobs.ts'
import { tempDir } from './support/temp.ts'

const hosts: AppHost[] = []
afterEach(async () => {
  for (const h of hosts.splice(0)) await h.close()
})

interface Page {
  readonly host: AppHost
  readonly images: ImageRef[]
  readonly statuses: WatchStatus[]
}

/** A host as the app builds it, with the watch's pushes recorded as the page would get them. */
async function app(settingsDir: string, folder: string | null): Promise<Page> {
  const host = await AppHost.create({
    settingsDir,
    launcher: inProcessLauncher(),
    dialogs: {
      openImages: async ({ folders }) => (folders && folder ? [folder] : null),
      saveExport: async () => null,
      chooseModelFolder: async () => null
    },
    resolveModel: async (settings) => ({
      id: 'fake',
      dir: '/models/fake',
      variant: settings.variant,
      device: 'cpu'
    }),
    watchSettleMs: 400
  })
  hosts.push(host)
  const page: Page = { host, images: [], statuses: [] }
  host.watch.onImages.add((refs) => page.images.push(...refs))
  host.watch.onStatus.add((status) => page.statuses.push(status))
  return page
}

async function call<T>(host: AppHost, method: string, payload: unknown): Promise<T> {
  const result = await host.handle(method, payload, { openJob: () => ({ emit: () => undefined }) })
  if (!result.ok) throw new Error(`${method}: ${result.error.message}`)
  return result.value as T
}

async function until(check: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > end) throw new Error(`${what}: not seen`)
    await sleep(25)
  }
}

async function slowCopy(source: string, target: string, chunks: number, pauseMs: number): Promise<void> {
  const bytes = await readFile(source)
  const handle = await open(target, 'w')
  try {
    const step = Math.ceil(bytes.length / chunks)
    for (let at = 0; at < bytes.length; at += step) {
      await handle.write(bytes.subarray(at, at + step))
      if (at + step < bytes.length) await sleep(pauseMs)
    }
  } finally {
    await handle.close()
  }
}

describe('watch service (host)', () => {
  it('hands the page each image once it has arrived, writes its caption file when the page reports the caption, and a restart does not redo it', async () => {
    const settingsDir = await tempDir()
    const base = await realpath(await tempDir())
    const folder = join(base, 'Camera Roll')
    await mkdir(folder)
    await copyFile(image('square.png'), join(folder, 'before.png'))
    const first = await app(settingsDir, folder)
    await call(first.host, 'settings.update', { sidecarPolicy: 'overwrite', triggerWord: 'ohwx' })
    const started = await call<WatchStatus>(first.host, 'watch.start', { writeCaptionFiles: true })
    expect(started).toMatchObject({ watching: true, name: 'Camera Roll', writeCaptionFiles: true })
    await until(() => first.images.length === 1, 'the image already there')
    expect(first.images[0]).toMatchObject({ name: 'before.png', hasPath: true })

    let copied = false
    const copying = slowCopy(image('wide.png'), join(folder, 'new.png'), 4, 150).then(() => (copied = true))
    await until(() => first.images.length === 2, 'the copied image')
    expect(copied).toBe(true)
    await copying
    const [before, fresh] = first.images
    expect(fresh).toMatchObject({ name: 'new.png', bytes: (await readFile(image('wide.png'))).length })

    // The page describes both and reports the captions, as App.tsx does for every finished caption.
    await call(first.host, 'library.record', {
      items: [
        { imageId: before!.id, prompt: 'p', text: 'a square' },
        { imageId: fresh!.id, prompt: 'p', text: 'a wide view' }
      ]
    })
    expect(await readFile(join(folder, 'before.txt'), 'utf8')).toBe('ohwx, a square\n')
    expect(await readFile(join(folder, 'new.txt'), 'utf8')).toBe('ohwx, a wide view\n')
    await first.host.close()

    // The app starts again: the folder is watched again, the two done images are not handed out again.
    const second = await app(settingsDir, null)
    second.host.start()
    await until(() => second.host.watch.status().watching, 'watching again after the restart')
    await copyFile(image('tall.png'), join(folder, 'after.png'))
    await until(() => second.images.length > 0, 'the image copied after the restart')
    expect(second.images.map((i) => i.name)).toEqual(['after.png'])
    expect(second.host.watch.status()).toMatchObject({ name: 'Camera Roll', added: 1, lost: 0 })
  })

  it('a keyword answer is written as its tags, as the Save dialog writes it', async () => {
    const folder = await realpath(await tempDir())
    await copyFile(image('square.png'), join(folder, 'dog.png'))
    const page = await app(await tempDir(), folder)
    await call(page.host, 'settings.update', { triggerWord: 'ohwx' })
    await call(page.host, 'watch.start', { writeCaptionFiles: true })
    await until(() => page.images.length === 1, 'the image')
    await call(page.host, 'library.record', {
      items: [{ imageId: page.images[0]!.id, prompt: KEYWORD_PROMPT, text: 'Keywords: dog, red ball, Dog.' }]
    })
    expect(await readFile(join(folder, 'dog.txt'), 'utf8')).toBe('ohwx, dog, red ball\n')
  })

  it("two images with one caption file (photo.png and photo.jpg) never overwrite each other's", async () => {
    const folder = await realpath(await tempDir())
    await copyFile(image('square.png'), join(folder, 'photo.png'))
    await copyFile(image('exif-rotated.jpg'), join(folder, 'photo.jpg'))
    const page = await app(await tempDir(), folder)
    await call(page.host, 'settings.update', { sidecarPolicy: 'overwrite' })
    await call(page.host, 'watch.start', { writeCaptionFiles: true })
    await until(() => page.images.length === 2, 'both images')
    const [first, second] = page.images
    await call(page.host, 'library.record', {
      items: [{ imageId: first!.id, prompt: 'p', text: 'a square' }]
    })
    await call(page.host, 'library.record', {
      items: [{ imageId: second!.id, prompt: 'p', text: 'a tower' }]
    })
    expect(await readFile(join(folder, 'photo.txt'), 'utf8')).toBe('a square\n')
    expect(page.host.watch.status().problem).toBe(`${second!.name}: ${first!.name} already writes photo.txt.`)
  })

  it('a caption file whose image has a 250-byte name is written (its temporary name is shortened)', async () => {
    const folder = await realpath(await tempDir())
    const name = `${'a'.repeat(246)}.png`
    await copyFile(image('square.png'), join(folder, name))
    const page = await app(await tempDir(), folder)
    await call(page.host, 'watch.start', { writeCaptionFiles: true })
    await until(() => page.images.length === 1, 'the image')
    await call(page.host, 'library.record', {
      items: [{ imageId: page.images[0]!.id, prompt: 'p', text: 'a square' }]
    })
    expect(await readFile(join(folder, `${'a'.repeat(246)}.txt`), 'utf8')).toBe('a square\n')
    expect(page.host.watch.status().problem).toBeNull()
  })

  it('a broken image the page reports failed is not handed out again after a restart; a stopped one is', async () => {
    const settingsDir = await tempDir()
    const folder = await realpath(await tempDir())
    await copyFile(image('square.png'), join(folder, 'broken.png'))
    await copyFile(image('wide.png'), join(folder, 'stopped.png'))
    const first = await app(settingsDir, folder)
    await call(first.host, 'watch.start', {})
    await until(() => first.images.length === 2, 'both images')
    const byName = new Map(first.images.map((ref) => [ref.name, ref.id]))
    const settled = await call<{ settled: number }>(first.host, 'watch.settled', {
      items: [
        { imageId: byName.get('broken.png')!, failed: true },
        { imageId: byName.get('stopped.png')!, failed: false },
        { imageId: 'not-a-watched-image', failed: true }
      ]
    })
    expect(settled).toEqual({ settled: 2 })
    await first.host.close()

    const second = await app(settingsDir, null)
    second.host.start()
    await until(() => second.images.length > 0, 'the images handed out again')
    await sleep(1500)
    expect(second.images.map((ref) => ref.name)).toEqual(['stopped.png'])
  })

  it('problem lines show paths from the watched folder, which the page knows by name only', () => {
    const root = join('/home/me', 'Camera Roll')
    expect(fromFolder(root, `ENAMETOOLONG: name too long, open '${join(root, 'sub', '.a.txt.tmp')}'`)).toBe(
      `ENAMETOOLONG: name too long, open '${join('sub', '.a.txt.tmp')}'`
    )
    expect(fromFolder(root, `cannot list ${root}`)).toBe('cannot list Camera Roll')
  })

  it('metadata the Save dialog writes into a described image does not bring it back as a changed image', async () => {
    const folder = await realpath(await tempDir())
    await copyFile(image('exif-rotated.jpg'), join(folder, 'photo.jpg'))
    const page = await app(await tempDir(), folder)
    await call(page.host, 'watch.start', {})
    await until(() => page.images.length === 1, 'the image')
    const photo = page.images[0]!
    await call(page.host, 'library.record', { items: [{ imageId: photo.id, prompt: 'p', text: 'a tower' }] })
    const reports = await call<{ outcome: string; where: string }[]>(page.host, 'results.writeMetadata', {
      items: [{ imageId: photo.id, text: 'a tower' }],
      mode: 'embedded',
      policy: 'replace'
    })
    expect(reports).toMatchObject([{ outcome: 'written', where: 'embedded' }])
    // Several settle intervals (400 ms here): a changed image would have been handed out again by now.
    await sleep(2500)
    expect(page.images.map((i) => i.name)).toEqual(['photo.jpg'])
  })

  it('a file that comes and goes before it has settled is never handed out, and the watch goes on', async () => {
    const base = await realpath(await tempDir())
    const folder = join(base, 'drop')
    await mkdir(folder)
    const page = await app(await tempDir(), folder)
    await call(page.host, 'watch.start', {})
    await copyFile(image('square.png'), join(folder, 'gone.png'))
    await rm(join(folder, 'gone.png'))
    await copyFile(image('tall.png'), join(folder, 'fine.png'))
    await until(() => page.images.some((i) => i.name === 'fine.png'), 'the next image')
    expect(page.images.map((i) => i.name)).toEqual(['fine.png'])
    expect(page.host.watch.status()).toMatchObject({ watching: true, name: 'drop', added: 1, lost: 0 })
  })

  it('stop watching forgets the folder: the next start of the app does not watch it', async () => {
    const settingsDir = await tempDir()
    const folder = await tempDir()
    const first = await app(settingsDir, folder)
    expect((await call<WatchStatus>(first.host, 'watch.start', {})).watching).toBe(true)
    expect(await call<WatchStatus>(first.host, 'watch.stop', {})).toEqual({
      watching: false,
      name: null,
      added: 0,
      waiting: 0,
      lost: 0,
      problem: null,
      writeCaptionFiles: false
    })
    await first.host.close()
    const second = await app(settingsDir, null)
    second.host.start()
    await second.host.watch.restore()
    expect(second.host.watch.status().watching).toBe(false)
    // A cancelled dialog starts nothing.
    expect((await call<WatchStatus>(second.host, 'watch.start', {})).watching).toBe(false)
  })
})

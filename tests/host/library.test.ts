import { copyFile, mkdir, readFile, rename } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { AppHost } from '../../src/host/app-host.ts'
import type { HostDialogs } from '../../src/host/app-host.ts'
import type { ApiResult, ImageRef, LibraryEntryInfo, LibrarySearchResult } from '../../src/shared/contract.ts'
import { MetadataWriter } from '../../src/metadata/metadata-writer.ts'
import { inProcessLauncher } from './support/fake-worker.ts'
import { image } from './support/jobs.ts'
import { tempDir } from './support/temp.ts'

const hosts: AppHost[] = []
afterEach(async () => {
  for (const h of hosts.splice(0)) await h.close()
})

const noDialogs: HostDialogs = {
  openImages: async () => null,
  saveExport: async () => null,
  chooseModelFolder: async () => null
}

/** One session of the app: a host with its own settings folder and the given library file. */
async function session(libraryFile: string | null, settingsDir?: string) {
  const h = await AppHost.create({
    settingsDir: settingsDir ?? (await tempDir()),
    launcher: inProcessLauncher(),
    dialogs: noDialogs,
    libraryFile,
    resolveModel: async (settings) => ({
      id: 'fake',
      dir: '/models/fake',
      variant: settings.variant,
      device: 'cpu'
    })
  })
  hosts.push(h)
  const context = { openJob: () => ({ emit: () => undefined }) }
  async function call<T>(method: string, payload: unknown): Promise<T> {
    const answer = (await h.handle(method, payload, context)) as ApiResult<T>
    if (!answer.ok) throw new Error(`${answer.error.code}: ${answer.error.message}`)
    return answer.value
  }
  const raw = (method: string, payload: unknown) => h.handle(method, payload, context)
  const grant = async (path: string): Promise<ImageRef> => {
    const [ref] = await h.broker.grantPaths([path], 'drop')
    if (!ref) throw new Error(`not granted: ${path}`)
    return ref
  }
  return { h, call, raw, grant }
}

async function photoFolder(): Promise<string> {
  const dir = join(await tempDir(), 'Holiday 2026')
  await mkdir(dir)
  await copyFile(image('large.jpg'), join(dir, 'beach.jpg'))
  await copyFile(image('square.png'), join(dir, 'square.png'))
  return dir
}

describe('the caption library through the host', () => {
  it('a caption kept in one session of the app is found in the next, with the file granted again', async () => {
    const file = join(await tempDir(), 'library', 'captions.sqlite')
    const photos = await photoFolder()
    const first = await session(file)
    const beach = await first.grant(join(photos, 'beach.jpg'))
    expect(
      await first.call('library.record', {
        items: [{ imageId: beach.id, prompt: 'Describe.', text: 'Children build a sandcastle on the beach.' }]
      })
    ).toEqual({ recorded: 1 })
    await first.h.close()

    const second = await session(file)
    const result = await second.call<LibrarySearchResult>('library.search', { query: 'sandcastle' })
    expect(result.available).toBe(true)
    expect(result.hits).toHaveLength(1)
    const hit = result.hits[0]!
    expect(hit.image).toMatchObject({ name: 'beach.jpg', hasPath: true })
    expect(hit.entry).toMatchObject({
      name: 'beach.jpg',
      folder: 'Holiday 2026',
      source: 'app',
      prompt: 'Describe.',
      text: 'Children build a sandcastle on the beach.',
      writes: []
    })
    expect(JSON.stringify(result)).not.toContain(photos)
    expect(hit.parts.filter((p) => p.match).map((p) => p.text)).toEqual(['sandcastle'])
    // The found image is granted: the page can show its thumbnail and describe it again.
    expect(second.h.broker.resolve(hit.image!.id).path).toBe(join(photos, 'beach.jpg'))
  })

  it('history lists every caption of an image, and finds a moved file by its content', async () => {
    const file = join(await tempDir(), 'captions.sqlite')
    const photos = await photoFolder()
    const app = await session(file)
    const beach = await app.grant(join(photos, 'beach.jpg'))
    await app.call('library.record', { items: [{ imageId: beach.id, prompt: 'p', text: 'First caption.' }] })
    await app.call('library.record', { items: [{ imageId: beach.id, prompt: 'p', text: 'Second caption.' }] })
    await rename(join(photos, 'beach.jpg'), join(photos, 'moved.jpg'))
    const moved = await app.grant(join(photos, 'moved.jpg'))
    const history = await app.call<LibraryEntryInfo[]>('library.history', { imageId: moved.id })
    expect(history.map((e) => e.text)).toEqual(['Second caption.', 'First caption.'])
  })

  it('keeps nothing when the keepHistory setting is off', async () => {
    const file = join(await tempDir(), 'captions.sqlite')
    const app = await session(file)
    const ref = await app.grant(image('square.png'))
    await app.call('settings.update', { keepHistory: false })
    expect(
      await app.call('library.record', { items: [{ imageId: ref.id, prompt: 'p', text: 'x' }] })
    ).toEqual({
      recorded: 0
    })
  })

  it('clear forgets every caption', async () => {
    const file = join(await tempDir(), 'captions.sqlite')
    const app = await session(file)
    const ref = await app.grant(image('square.png'))
    await app.call('library.record', { items: [{ imageId: ref.id, prompt: 'p', text: 'A square.' }] })
    expect(await app.call('library.clear', {})).toEqual({ cleared: 1 })
    expect((await app.call<LibrarySearchResult>('library.search', { query: 'square' })).hits).toEqual([])
  })

  it('without a library file, search says so and recording keeps nothing', async () => {
    const app = await session(null)
    expect(await app.call('library.search', { query: 'x' })).toEqual({
      hits: [],
      more: false,
      available: false,
      reason: 'The caption library is not set up in this window.'
    })
  })

  it('refuses hostile requests: ids never handed out, oversized queries, unknown fields', async () => {
    const app = await session(join(await tempDir(), 'captions.sqlite'))
    expect(
      await app.raw('library.record', { items: [{ imageId: 'nope', prompt: 'p', text: 't' }] })
    ).toMatchObject({
      ok: false,
      error: { code: 'not-granted' }
    })
    expect(await app.raw('library.search', { query: 'x'.repeat(501) })).toMatchObject({
      ok: false,
      error: { code: 'invalid-message' }
    })
    expect(await app.raw('library.search', { query: 'x', path: '/etc' })).toMatchObject({
      ok: false,
      error: { code: 'invalid-message' }
    })
    expect(await app.raw('library.history', { imageId: '../../etc/passwd' })).toMatchObject({
      ok: false,
      error: { code: 'invalid-message' }
    })
  })
})

describe('metadata and sidecars through the host', () => {
  it('writes captions into metadata, reports by image, and notes the writes on the kept caption', async () => {
    const file = join(await tempDir(), 'captions.sqlite')
    const photos = await photoFolder()
    const app = await session(file)
    const beach = await app.grant(join(photos, 'beach.jpg'))
    const pasted = await app.h.broker.grantBytes('pasted.png', await readFile(image('square.png')))
    await app.call('library.record', {
      items: [{ imageId: beach.id, prompt: 'p', text: 'A beach at noon.' }]
    })
    const reports = await app.call('results.writeMetadata', {
      items: [
        { imageId: beach.id, text: 'A beach at noon.' },
        { imageId: pasted.id, text: 'Pasted.' }
      ],
      mode: 'xmp',
      policy: 'skip',
      naming: 'adobe'
    })
    expect(reports).toEqual([
      { imageId: beach.id, file: 'beach.xmp', where: 'xmp', outcome: 'written', reason: null },
      {
        imageId: pasted.id,
        file: null,
        where: null,
        outcome: 'failed',
        reason: 'pasted.png was pasted, so it has no file to write metadata into.'
      }
    ])
    const writer = new MetadataWriter()
    try {
      expect((await writer.readFile(join(photos, 'beach.xmp'))).description).toBe('A beach at noon.')
    } finally {
      await writer.close()
    }
    expect(await app.call('images.metadata', { id: beach.id })).toEqual({
      description: 'A beach at noon.',
      altText: null,
      keywords: [],
      source: 'beach.xmp'
    })
    expect(await app.call('images.metadata', { id: pasted.id })).toMatchObject({
      description: null,
      source: null
    })
    await app.call('results.writeSidecars', {
      items: [{ imageId: beach.id, text: 'A beach at noon.' }],
      policy: 'skip'
    })
    const [latest] = await app.call<LibraryEntryInfo[]>('library.history', { imageId: beach.id })
    expect(latest?.writes).toEqual([
      { kind: 'xmp', file: 'beach.xmp', outcome: 'written' },
      { kind: 'txt', file: 'beach.txt', outcome: 'written' }
    ])
  })
})

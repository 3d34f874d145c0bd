import { copyFile, mkdir, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { AppHost } from '../../src/host/app-host.ts'
import {
  openRequestFor,
  pathsFromArguments,
  pathsFromSecondInstance,
  PendingOpens,
  userArguments
} from '../../src/host/open-requests.ts'
import type { ImageRef } from '../../src/shared/contract.ts'
import { LIMITS } from '../../src/shared/contract.ts'
import { holdUntilSubscribed } from '../../src/shared/held-events.ts'
import { inProcessLauncher } from './support/fake-worker.ts'
import { image } from './support/jobs.ts'
import { tempDir } from './support/temp.ts'

const posix = process.platform !== 'win32'

describe('files named on a command line ("Open with", a second launch)', () => {
  it('skips the executable, and the app path when Electron runs an unpackaged app', () => {
    expect(userArguments(['/opt/SmolVLM/smolvlm-desktop', 'a.jpg'], false)).toEqual(['a.jpg'])
    expect(userArguments(['/usr/bin/electron', '.', 'a.jpg'], true)).toEqual(['a.jpg'])
    // Playwright puts switches before the app path.
    expect(
      userArguments(
        ['electron', '--inspect=0', '--remote-debugging-port=0', 'out/main/index.js', '--no-sandbox'],
        true
      )
    ).toEqual(['--no-sandbox'])
    expect(userArguments(['electron', '--inspect=0'], true)).toEqual([])
  })

  it.skipIf(!posix)('resolves relative paths against the working directory, keeps absolute ones', () => {
    expect(pathsFromArguments(['a.jpg', 'sub/b.png', '/photos/c.webp', '../d.gif'], '/home/me/pics')).toEqual(
      ['/home/me/pics/a.jpg', '/home/me/pics/sub/b.png', '/photos/c.webp', '/home/me/d.gif']
    )
  })

  it.skipIf(!posix)(
    'skips switches (Chromium appends its own) until "--", after which a dash is a name',
    () => {
      expect(
        pathsFromArguments(
          ['--no-sandbox', '--original-process-start-time=1', '-x', 'a.jpg', '--', '-odd.png', '--also.jpg'],
          '/w'
        )
      ).toEqual(['/w/a.jpg', '/w/-odd.png', '/w/--also.jpg'])
    }
  )

  it.skipIf(!posix)("turns file:// URLs (a desktop file's %U) into paths and drops other URLs", () => {
    expect(
      pathsFromArguments(
        [
          'file:///home/me/My%20Photo.jpg',
          'https://example.com/x.jpg',
          'smb://server/x.jpg',
          'file://otherhost/x.jpg'
        ],
        '/w'
      )
    ).toEqual(['/home/me/My Photo.jpg'])
  })

  it.skipIf(!posix)(
    'drops duplicates, empty and NUL-bearing arguments, and keeps at most pathsPerCall',
    () => {
      expect(pathsFromArguments(['a.jpg', './a.jpg', '/w/a.jpg', '', 'b\0.jpg'], '/w')).toEqual(['/w/a.jpg'])
      const many = Array.from({ length: LIMITS.pathsPerCall + 5 }, (_, i) => `${i}.jpg`)
      expect(pathsFromArguments(many, '/w')).toHaveLength(LIMITS.pathsPerCall)
    }
  )
})

describe('a second instance', () => {
  it.skipIf(!posix)(
    'sends its own arguments and working directory, and the first instance reads them',
    () => {
      const request = openRequestFor(
        ['/opt/SmolVLM/smolvlm-desktop', 'one.jpg', 'two.png'],
        '/home/me',
        false
      )
      expect(request).toEqual({ kind: 'smolvlm-open', cwd: '/home/me', args: ['one.jpg', 'two.png'] })
      // Electron's argv for the first instance may be reordered and carry extra switches: the request wins.
      const argv = ['/opt/SmolVLM/smolvlm-desktop', '--allow-file-access-from-files', 'two.png', 'one.jpg']
      expect(pathsFromSecondInstance(argv, '/elsewhere', request, false)).toEqual([
        '/home/me/one.jpg',
        '/home/me/two.png'
      ])
    }
  )

  it.skipIf(!posix)('falls back to argv and the working directory without a valid request', () => {
    const argv = ['/opt/SmolVLM/smolvlm-desktop', '--flag', 'one.jpg']
    for (const data of [
      undefined,
      null,
      {},
      { kind: 'smolvlm-open', cwd: 'relative', args: ['x.jpg'] },
      { kind: 'smolvlm-open', cwd: '/x', args: 'x.jpg' },
      { kind: 'smolvlm-open', cwd: '/x', args: ['x.jpg'], extra: 1 },
      { kind: 'other', cwd: '/x', args: [] }
    ])
      expect(pathsFromSecondInstance(argv, '/home/me', data, false)).toEqual(['/home/me/one.jpg'])
  })
})

describe('opens that arrive early', () => {
  it('are held until the app is ready, then handed over in order, and later ones at once', () => {
    const pending = new PendingOpens()
    const delivered: string[][] = []
    pending.add(['/a.jpg'])
    pending.add([])
    pending.add(['/b.jpg', '/c.jpg'])
    expect(delivered).toEqual([])
    pending.ready((paths) => delivered.push(paths))
    expect(delivered).toEqual([['/a.jpg'], ['/b.jpg', '/c.jpg']])
    pending.add(['/d.jpg'])
    expect(delivered).toEqual([['/a.jpg'], ['/b.jpg', '/c.jpg'], ['/d.jpg']])
  })

  it('reach the page even when it subscribes after they were sent (the preload holds them)', () => {
    const events = holdUntilSubscribed<string>()
    events.push('launch files')
    const seen: string[] = []
    const unsubscribe = events.subscribe((value) => seen.push(value))
    events.push('second launch')
    expect(seen).toEqual(['launch files', 'second launch'])
    unsubscribe()
    events.push('while nobody listens')
    const later: string[] = []
    events.subscribe((value) => later.push(value))
    expect(later).toEqual(['while nobody listens'])
  })
})

describe('AppHost.openPaths: system opens go through the file broker like a drop', () => {
  const hosts: AppHost[] = []
  afterEach(async () => {
    for (const h of hosts.splice(0)) await h.close()
  })

  async function host(): Promise<AppHost> {
    const h = await AppHost.create({
      settingsDir: await tempDir(),
      launcher: inProcessLauncher(),
      dialogs: {
        openImages: async () => null,
        saveExport: async () => null,
        chooseModelFolder: async () => null
      },
      resolveModel: async (settings) => ({
        id: 'fake',
        dir: '/models/fake',
        variant: settings.variant,
        device: 'cpu'
      })
    })
    hosts.push(h)
    return h
  }

  it('grants the images of a second launch, expands folders, skips the rest, and tells the page', async () => {
    const h = await host()
    const added: ImageRef[][] = []
    h.onImagesAdded.add((refs) => added.push(refs))
    const dir = await tempDir()
    await mkdir(join(dir, 'album'))
    await copyFile(image('square.png'), join(dir, 'album', 'b.png'))
    await copyFile(image('tiny.png'), join(dir, 'a.png'))
    await writeFile(join(dir, 'notes.txt'), 'not an image')
    const request = openRequestFor(
      [
        'smolvlm-desktop',
        'a.png',
        'album',
        'notes.txt',
        'missing.jpg',
        pathToFileURL(join(dir, 'a.png')).href
      ],
      dir,
      false
    )
    const paths = pathsFromSecondInstance(['smolvlm-desktop'], '/', request, false)
    expect(paths[0]).toBe(resolve(dir, 'a.png'))

    const refs = await h.openPaths(paths)
    expect(refs.map((ref) => ref.name)).toEqual(['a.png', 'b.png'])
    expect(added).toEqual([refs])
    // The page knows them by id only, and the ids work like any granted image's.
    expect(JSON.stringify(refs)).not.toContain(dir)
    const thumb = await h.handle(
      'images.thumbnail',
      { id: refs[0]!.id },
      { openJob: () => ({ emit: () => undefined }) }
    )
    expect(thumb).toMatchObject({ ok: true })
  })

  it('tells the page nothing when no path was an image', async () => {
    const h = await host()
    const added: ImageRef[][] = []
    h.onImagesAdded.add((refs) => added.push(refs))
    const dir = await tempDir()
    await writeFile(join(dir, 'notes.txt'), 'not an image')
    expect(await h.openPaths([join(dir, 'notes.txt'), join(dir, 'missing.png')])).toEqual([])
    expect(added).toEqual([])
  })
})

import { readFile } from 'node:fs/promises'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { JobEvent } from '../../src/shared/contract.ts'
import { RENDERER_CSP } from '../../src/shared/contract.ts'
import { FIXTURE_MODEL_DIR, image } from '../host/support/jobs.ts'
import { tempDir } from '../host/support/temp.ts'
import type { Bridge } from './bridge.ts'
import { startBridge } from './bridge.ts'
import { ensureRendererBuilt } from './build-renderer.ts'
import { launchChromium } from './chromium.ts'

describe('browser test bridge: the built renderer in Chromium, window.smolvlm wired to a real worker', () => {
  let bridge: Bridge
  let browser: Browser
  let page: Page
  const problems: string[] = []

  beforeAll(async () => {
    await ensureRendererBuilt()
    const [settingsDir, exportDir] = [await tempDir('bridge-settings-'), await tempDir('bridge-export-')]
    bridge = await startBridge({
      modelDir: FIXTURE_MODEL_DIR,
      settingsDir,
      exportDir,
      openPaths: [image('wide.png')]
    })
    browser = await launchChromium()
    page = await browser.newPage()
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text())
    })
    page.on('pageerror', (error) => problems.push(error.message))
    const response = await page.goto(bridge.url)
    expect(response?.headers()['content-security-policy']).toBe(RENDERER_CSP)
    await page.waitForFunction(() => typeof window.smolvlm?.describe === 'function')
  })

  afterAll(async () => {
    await browser?.close()
    await bridge?.close()
  })

  it('describes a dropped image through window.smolvlm and streams its tokens', async () => {
    const bytes = [...(await readFile(image('square.png')))]
    const events = await page.evaluate(async (data) => {
      const file = new File([new Uint8Array(data)], 'square.png', { type: 'image/png' })
      const [ref] = await window.smolvlm.images.add([file])
      const seen: JobEvent[] = []
      const job = window.smolvlm.describe(
        { images: [ref.id], options: { maxNewTokens: 8, doImageSplitting: false } },
        (event) => seen.push(event)
      )
      await job.finished
      return { ref, seen }
    }, bytes)
    expect(events.ref).toMatchObject({ name: 'square.png', hasPath: false })
    const tokens = events.seen.filter((event) => event.type === 'token')
    const done = events.seen.at(-1)
    expect(events.seen[0].type).toBe('started')
    expect(tokens.length).toBeGreaterThan(0)
    expect(done?.type).toBe('done')
    if (done?.type === 'done')
      expect(done.text).toBe(tokens.map((t) => (t.type === 'token' ? t.text : '')).join(''))
    expect(problems).toEqual([])
  })

  it('answers a job for an image it never granted with a not-granted error event', async () => {
    const last = await page.evaluate(async () => {
      const job = window.smolvlm.describe({ images: ['forged-id'] }, () => undefined)
      return job.finished
    })
    expect(last).toMatchObject({ type: 'error', error: { code: 'not-granted' } })
  })

  it('stands in for the open dialog, makes thumbnails, keeps settings and exports results', async () => {
    const result = await page.evaluate(async () => {
      const [ref] = await window.smolvlm.images.open()
      const thumbnail = await window.smolvlm.images.thumbnail(ref.id)
      const settings = await window.smolvlm.settings.update({ theme: 'dark' })
      const saved = await window.smolvlm.results.export('jsonl', [
        { imageId: ref.id, text: 'a wide picture' }
      ])
      return {
        ref,
        thumbnail: thumbnail.dataUrl.slice(0, 23),
        size: [thumbnail.width, thumbnail.height],
        theme: settings.theme,
        saved
      }
    })
    expect(result.ref).toMatchObject({ name: 'wide.png', hasPath: true })
    expect(result.thumbnail).toBe('data:image/webp;base64,')
    expect(result.size).toEqual([640, 200])
    expect(result.theme).toBe('dark')
    expect(result.saved).toMatch(/captions-.*\.jsonl$/)
    expect(JSON.parse(await readFile(result.saved as string, 'utf8'))).toMatchObject({
      image: 'wide.png',
      caption: 'a wide picture'
    })
  })
})

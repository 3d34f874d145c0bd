/**
 * The real app in Electron, driven by Playwright's _electron (experimental). Run with `npm run test:e2e`, which
 * builds first and skips (with the reason) where no Electron binary exists. The model is the fixture model
 * (SMOLVLM_MODEL_DIR), the user data a temp folder (SMOLVLM_USER_DATA).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { _electron as electron } from 'playwright-core'
import type { ElectronApplication, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { JobEvent } from '../../src/shared/contract.ts'
import { RENDERER_CSP } from '../../src/shared/csp.ts'
import { electronBinary } from './electron-binary.ts'

const root = resolve(import.meta.dirname, '../..')
const binary = electronBinary()
const skipReason = 'reason' in binary ? binary.reason : null
if (skipReason) console.log(`skipped: no Electron binary (${skipReason})`)

describe.skipIf(skipReason !== null)('SmolVLM Desktop in Electron', () => {
  let app: ElectronApplication
  let page: Page
  let userData: string

  beforeAll(async () => {
    userData = await mkdtemp(join(tmpdir(), 'smolvlm-e2e-'))
    const runningAsRoot = process.getuid?.() === 0
    app = await electron.launch({
      executablePath: (binary as { path: string }).path,
      args: [join(root, 'out/main/index.js'), ...(runningAsRoot ? ['--no-sandbox'] : [])],
      cwd: root,
      env: {
        ...process.env,
        SMOLVLM_USER_DATA: userData,
        SMOLVLM_MODEL_DIR: join(root, 'tests/fixtures/models/tiny-gqa')
      }
    })
    page = await app.firstWindow()
    await page.waitForFunction(() => typeof window.smolvlm?.describe === 'function')
  })

  afterAll(async () => {
    await app?.close()
    if (userData) await rm(userData, { recursive: true, force: true })
  })

  it('gives the page no Node, no Electron and no raw IPC; only window.smolvlm; and no new windows', async () => {
    const page_ = await page.evaluate(() => ({
      require: typeof (globalThis as { require?: unknown }).require,
      process: typeof (globalThis as { process?: unknown }).process,
      electron: typeof (globalThis as { electron?: unknown }).electron,
      ipcRenderer: typeof (globalThis as { ipcRenderer?: unknown }).ipcRenderer,
      api: Object.keys(window.smolvlm).sort(),
      popup: window.open('https://example.com') === null
    }))
    expect(page_).toEqual({
      require: 'undefined',
      process: 'undefined',
      electron: 'undefined',
      ipcRenderer: 'undefined',
      api: ['describe', 'images', 'model', 'results', 'settings', 'store', 'version'],
      popup: true
    })
    expect(await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().length)).toBe(1)
  })

  it('refuses to navigate away from the app page', async () => {
    const before = page.url()
    // will-navigate is prevented in main: the navigation is aborted, the page stays.
    await expect(page.goto('https://example.com/')).rejects.toThrow()
    expect(page.url()).toBe(before)
  })

  it('serves the page from app://smolvlm (checklist 18) with the CSP header, and nothing outside the renderer folder', async () => {
    expect(page.url()).toBe('app://smolvlm/index.html')
    const answers = await page.evaluate(async () => {
      const own = await fetch('/index.html')
      const escape = await fetch('/..%2f..%2fpackage.json')
      return { status: own.status, csp: own.headers.get('content-security-policy'), escape: escape.status }
    })
    expect(answers).toEqual({ status: 200, csp: RENDERER_CSP, escape: 404 })
  })

  it('adds the files of a second launch to the window, through the file broker', async () => {
    // What a second `smolvlm-desktop wide.png` sends the running app (src/host/open-requests.ts), delivered the
    // way Electron does: the 'second-instance' event with the second instance's additionalData.
    const request = { kind: 'smolvlm-open', cwd: join(root, 'tests/fixtures/images'), args: ['wide.png'] }
    await app.evaluate(({ app: electronApp }, data) => {
      electronApp.emit('second-instance', {}, [process.execPath], '/', data)
    }, request)
    await page.waitForFunction(() => document.body.innerText.includes('wide.png'), undefined, {
      timeout: 30_000
    })
  })

  it('describes an image through the preload, IPC and the utility process, streaming tokens on the job port', async () => {
    const bytes = [...(await readFile(join(root, 'tests/fixtures/images/square.png')))]
    const result = await page.evaluate(async (data) => {
      const file = new File([new Uint8Array(data)], 'square.png', { type: 'image/png' })
      const [ref] = await window.smolvlm.images.add([file])
      const seen: JobEvent[] = []
      const job = window.smolvlm.describe(
        { images: [ref.id], options: { maxNewTokens: 8, doImageSplitting: false } },
        (e) => seen.push(e)
      )
      await job.finished
      return { seen, status: await window.smolvlm.model.status() }
    }, bytes)
    const tokens = result.seen.filter((e) => e.type === 'token')
    expect(tokens.length).toBeGreaterThan(0)
    expect(result.seen.at(-1)).toMatchObject({ type: 'done', cancelled: false })
    expect(result.status).toMatchObject({ state: 'ready', worker: { state: 'running' } })
    const metrics = await app.evaluate(({ app: electronApp }) =>
      electronApp.getAppMetrics().map((m) => m.name ?? m.type)
    )
    expect(metrics).toContain('smolvlm-worker')
  })

  it('shows streamed text after an image is dropped on the window', async () => {
    const bytes = [...(await readFile(join(root, 'tests/fixtures/images/square.png')))]
    const before = await page.evaluate(() => document.body.innerText.length)
    // A real drop event carrying a File, dispatched where the page listens; the File has no path (the page
    // built it), so the preload sends its bytes, exactly as for a paste.
    await page.evaluate((data) => {
      const transfer = new DataTransfer()
      transfer.items.add(new File([new Uint8Array(data)], 'dropped-square.png', { type: 'image/png' }))
      const target = document.querySelector('[data-testid="drop-zone"]') ?? document.body
      for (const type of ['dragenter', 'dragover', 'drop']) {
        target.dispatchEvent(new DragEvent(type, { dataTransfer: transfer, bubbles: true, cancelable: true }))
      }
    }, bytes)
    await page.waitForFunction(() => document.body.innerText.includes('dropped-square.png'), undefined, {
      timeout: 60_000
    })
    // Streaming: the page's text keeps growing after the name appeared (tokens arriving one by one).
    await page.waitForFunction((start) => document.body.innerText.length > start + 40, before, {
      timeout: 60_000
    })
  })
})

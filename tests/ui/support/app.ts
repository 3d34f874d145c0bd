/**
 * One app per test file: the built renderer served by the browser test bridge (real host, real worker running the
 * fixture model) and Debian's Chromium driving it. Helpers drop real files, save screenshots and wait on what the
 * page shows (never on time).
 */
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises'
import { basename, extname, join, resolve } from 'node:path'
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core'
import type { SettingsPatch } from '../../../src/shared/settings.ts'
import type { ModelStoreLike } from '../../../src/host/store-service.ts'
import { tempDir } from '../../host/support/temp.ts'
import type { Bridge } from '../../ui-bridge/bridge.ts'
import { REPO_ROOT, startBridge } from '../../ui-bridge/bridge.ts'
import { ensureRendererBuilt } from '../../ui-bridge/build-renderer.ts'
import { launchChromium } from '../../ui-bridge/chromium.ts'

export const FIXTURE_MODEL = join(REPO_ROOT, 'tests/fixtures/models/tiny-gqa')
export const SCREENSHOTS = join(REPO_ROOT, 'test-results/screenshots')

export const fixtureImage = (name: string): string => join(REPO_ROOT, 'tests/fixtures/images', name)

/** Generous: a slow two-core CI machine runs the worker, the bridge and Chromium side by side. */
export const UI_TIMEOUT = 60_000

export interface AppOptions {
  /** Settings written before the page opens (the fixture model writes gibberish; short captions keep tests quick). */
  readonly settings?: SettingsPatch
  readonly colorScheme?: 'light' | 'dark'
  readonly store?: ModelStoreLike | null
  readonly modelFrom?: 'folder' | 'store'
  readonly openPaths?: readonly string[]
  readonly viewport?: { width: number; height: number }
  readonly reducedMotion?: boolean
  /** The caption library's file (default none: searches say the library is not set up). */
  readonly libraryFile?: string
  /** The model folder jobs load (default FIXTURE_MODEL, whose decoder cannot batch). */
  readonly modelDir?: string
  /** How long a watched folder's new file must stay unchanged (default the app's 2 s). */
  readonly watchSettleMs?: number
}

export interface AppHarness {
  readonly bridge: Bridge
  readonly browser: Browser
  readonly context: BrowserContext
  readonly page: Page
  readonly settingsDir: string
  readonly exportDir: string
  /** Console errors and uncaught exceptions of the page (tests assert it stays empty). */
  readonly problems: string[]
  close(): Promise<void>
}

export async function openApp(options: AppOptions = {}): Promise<AppHarness> {
  await ensureRendererBuilt()
  const settingsDir = await tempDir('ui-settings-')
  const exportDir = await tempDir('ui-export-')
  const bridge = await startBridge({
    modelDir: options.modelDir ?? FIXTURE_MODEL,
    settingsDir,
    exportDir,
    openPaths: options.openPaths ?? [],
    store: options.store ?? null,
    modelFrom: options.modelFrom ?? 'folder',
    libraryFile: options.libraryFile ?? null,
    watchSettleMs: options.watchSettleMs
  })
  await bridge.host.settings.update({ maxNewTokens: 24, ...options.settings })
  let browser: Browser | undefined
  try {
    browser = await launchChromium()
    const context = await browser.newContext({
      viewport: options.viewport ?? { width: 1280, height: 800 },
      colorScheme: options.colorScheme ?? 'light',
      reducedMotion: options.reducedMotion === false ? 'no-preference' : 'reduce',
      permissions: ['clipboard-read', 'clipboard-write']
    })
    context.setDefaultTimeout(UI_TIMEOUT)
    const page = await context.newPage()
    const problems: string[] = []
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text())
    })
    page.on('pageerror', (error) => problems.push(error.message))
    await page.goto(bridge.url)
    const opened = browser
    return {
      bridge,
      browser: opened,
      context,
      page,
      settingsDir,
      exportDir,
      problems,
      async close() {
        await opened.close()
        await bridge.close()
      }
    }
  } catch (error) {
    await browser?.close()
    await bridge.close()
    throw error
  }
}

const MIME: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
  '.txt': 'text/plain'
}

/** Drops real files on the window the way a file manager does: dragenter, dragover, drop with a DataTransfer. */
export async function dropFiles(page: Page, paths: readonly string[]): Promise<void> {
  const files = await Promise.all(
    paths.map(async (path) => ({
      name: basename(path),
      type: MIME[extname(path).toLowerCase()] ?? '',
      base64: (await readFile(path)).toString('base64')
    }))
  )
  const dataTransfer = await page.evaluateHandle((items) => {
    const transfer = new DataTransfer()
    for (const item of items) {
      const bytes = Uint8Array.from(atob(item.base64), (c) => c.charCodeAt(0))
      transfer.items.add(new File([bytes], item.name, { type: item.type }))
    }
    return transfer
  }, files)
  for (const type of ['dragenter', 'dragover', 'drop'])
    await page.dispatchEvent('body', type, { dataTransfer })
  await dataTransfer.dispose()
}

/** The card of an image by its file name. */
export function card(page: Page, name: string): Locator {
  return page.locator('article.card').filter({ has: page.locator('.card__name', { hasText: name }) })
}

export async function waitForStatus(page: Page, name: string, status: string): Promise<void> {
  await card(page, name)
    .and(page.locator(`[data-status="${status}"]`))
    .waitFor()
}

/** Saves test-results/screenshots/<name>.png (looked at by people: see docs/ui.md). */
export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(SCREENSHOTS, { recursive: true })
  const path = resolve(SCREENSHOTS, `${name}.png`)
  // Let fonts and thumbnails settle: wait for every <img> on the page to have decoded.
  await page.evaluate(async () => {
    await document.fonts.ready
    await Promise.all([...document.images].map((img) => img.decode().catch(() => undefined)))
  })
  await writeFile(path, await page.screenshot({ animations: 'disabled', caret: 'hide' }))
  return path
}

/** A folder of copies of fixture images (each a file of its own, so each gets its own card). */
export async function imageFolder(files: Readonly<Record<string, string>>): Promise<string> {
  const dir = await tempDir('ui-images-')
  for (const [name, fixture] of Object.entries(files)) await copyFile(fixtureImage(fixture), join(dir, name))
  return dir
}

/**
 * "Watch this folder" in the built renderer, with the real host and worker behind the test bridge: the folder is
 * picked in the (stand-in) host dialog, the image already there and one copied in later become cards that are
 * described on their own, each gets its caption file, and Stop watching ends it.
 */
import { copyFile, readFile, realpath, stat } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { tempDir } from '../host/support/temp.ts'
import type { AppHarness } from './support/app.ts'
import { card, fixtureImage, openApp, screenshot, waitForStatus } from './support/app.ts'

describe('watching a folder', () => {
  let app: AppHarness
  let folder: string

  beforeAll(async () => {
    folder = await realpath(await tempDir('ui-watch-'))
    await copyFile(fixtureImage('square.png'), join(folder, 'already-there.png'))
    app = await openApp({ openPaths: [folder], watchSettleMs: 400, settings: { triggerWord: 'ohwx' } })
  })

  afterAll(async () => {
    await app?.close()
  })

  it('describes the images that land in the watched folder and writes their caption files', async () => {
    const { page } = app
    await page.getByRole('button', { name: 'Watch folder…' }).click()
    const dialog = page.getByRole('dialog', { name: 'Watch a folder' })
    await dialog.waitFor()
    await expect(
      dialog.getByRole('checkbox', { name: /Write a caption file beside each image/ }).isChecked()
    ).resolves.toBe(true)
    await expect(dialog.textContent()).resolves.toContain('captions start with “ohwx”')
    await screenshot(page, 'watch-dialog')
    await dialog.getByRole('button', { name: 'Choose a folder to watch…' }).click()

    const bar = page.getByTestId('watch-bar')
    await bar.getByText(`Watching ${basename(folder)}`).waitFor()
    await waitForStatus(page, 'already-there.png', 'done')
    await copyFile(fixtureImage('tall.png'), join(folder, 'arrived.png'))
    await card(page, 'arrived.png').waitFor()
    await waitForStatus(page, 'arrived.png', 'done')

    // Each caption file holds the card's caption with the trigger word in front (the Save dialog's settings).
    for (const [image, text] of [
      ['already-there.png', 'already-there.txt'],
      ['arrived.png', 'arrived.txt']
    ] as const) {
      const caption = (await card(page, image).getByTestId('caption').textContent()) ?? ''
      expect(caption.length).toBeGreaterThan(0)
      await waitForFile(join(folder, text))
      await expect(readFile(join(folder, text), 'utf8')).resolves.toBe(`ohwx, ${caption}\n`)
    }
    await bar.getByText('2 images added').waitFor()
    await expect(page.locator('article.card').count()).resolves.toBe(2)
    await page.getByRole('button', { name: 'Watch folder…' }).waitFor({ state: 'detached' })
    await screenshot(page, 'watch-folder')

    await bar.getByRole('button', { name: 'Stop watching' }).click()
    await bar.waitFor({ state: 'detached' })
    await page.getByRole('button', { name: 'Watch folder…' }).waitFor()
    expect(app.bridge.host.watch.status().watching).toBe(false)
    expect(app.problems).toEqual([])
  })
})

async function waitForFile(path: string, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!(await stat(path).catch(() => null))) {
    if (Date.now() > end) throw new Error(`${path} was not written`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

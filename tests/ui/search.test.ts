/**
 * The caption library in the window: captions finished in the app are kept, the search box finds them by their
 * words (marked in the results, with thumbnails), a result opens the caption history of its image, Esc brings the
 * cards back, and a later session of the app finds what an earlier one kept. Real host, real worker, real SQLite.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MetadataWriter } from '../../src/metadata/metadata-writer.ts'
import { tempDir } from '../host/support/temp.ts'
import type { AppHarness } from './support/app.ts'
import { card, imageFolder, openApp, screenshot, waitForStatus } from './support/app.ts'

/** A word of four letters or more from a caption (the test model writes word salad, but always the same salad). */
function wordOf(text: string): string {
  // The start of a search token (letters and digits), so the word is a prefix of what the index holds.
  const word = text.match(/(?<![\p{L}\p{N}\p{M}])\p{L}{4,}/u)?.[0]
  if (!word) throw new Error(`no word in ${JSON.stringify(text)}`)
  return word
}

describe('searching kept captions', () => {
  let app: AppHarness
  let libraryFile: string
  let folder: string
  let caption = ''

  beforeAll(async () => {
    folder = await imageFolder({
      'kite.png': 'square.png',
      'harbour.jpg': 'cmyk.jpg',
      'field.png': 'wide.png'
    })
    libraryFile = join(await tempDir('ui-library-'), 'captions.sqlite')
    app = await openApp({ openPaths: [folder], libraryFile })
    const { page } = app
    await page.getByRole('button', { name: 'Open folder…' }).first().click()
    for (const name of ['kite.png', 'harbour.jpg', 'field.png']) await waitForStatus(page, name, 'done')
    caption = ((await card(page, 'kite.png').getByTestId('caption').textContent()) ?? '').trim()
    // A second caption of the same image, for its history.
    await card(page, 'kite.png').getByRole('button', { name: 'Describe again kite.png' }).click()
    const imageId = await card(page, 'kite.png').getAttribute('data-image-id')
    const noJobs = {
      openJob: () => {
        throw new Error('no jobs here')
      }
    }
    // Wait (on what the host has kept, not on time) for the second caption to be recorded.
    for (let kept = 0; kept < 2;) {
      const answer = await app.bridge.host.handle('library.history', { imageId }, noJobs)
      kept = answer.ok ? (answer.value as unknown[]).length : 0
      if (kept < 2) await new Promise((resolve) => setTimeout(resolve, 100))
    }
    await waitForStatus(page, 'kite.png', 'done')
  })

  afterAll(async () => {
    await app?.close()
  })

  it('finds an image by a word of its caption, with the word marked and the thumbnail shown', async () => {
    const { page } = app
    const word = wordOf(caption)
    await page.getByRole('searchbox', { name: 'Search kept captions' }).fill(word)
    const results = page.getByTestId('search-results')
    const hit = results
      .getByTestId('search-hit')
      .filter({ has: page.locator('.card__name', { hasText: 'kite.png' }) })
    await hit.waitFor()
    await expect(hit.locator('mark').first().textContent()).resolves.toMatch(new RegExp(`^${word}`, 'i'))
    await expect(hit.getByTestId('search-caption').textContent()).resolves.toBe(caption)
    await hit.locator('img.card__thumb').waitFor()
    await expect(page.getByTestId('card-list').count()).resolves.toBe(0)
    await screenshot(page, 'search')
  })

  it('opening a result shows every caption kept for that image, newest first', async () => {
    const { page } = app
    const hit = page
      .getByTestId('search-hit')
      .filter({ has: page.locator('.card__name', { hasText: 'kite.png' }) })
    await hit.click()
    const history = page.getByTestId('caption-history')
    await history.getByRole('heading', { name: 'kite.png' }).waitFor()
    await history.getByText('2 captions kept', { exact: false }).waitFor()
    await expect(history.getByTestId('history-entry').count()).resolves.toBe(2)
    await screenshot(page, 'search-history')
  })

  it('Esc in the search box clears it and the cards come back', async () => {
    const { page } = app
    const box = page.getByRole('searchbox', { name: 'Search kept captions' })
    await box.focus()
    await page.keyboard.press('Escape')
    await expect(box.inputValue()).resolves.toBe('')
    await page.getByTestId('card-list').waitFor()
    await expect(page.locator('article.card').count()).resolves.toBe(3)
    expect(app.problems).toEqual([])
  })

  it('writes the captions into the images from the Save dialog, and the detail pane shows what the file holds', async () => {
    const { page } = app
    await page.getByRole('button', { name: 'Save captions…' }).click()
    const dialog = page.getByRole('dialog', { name: 'Save captions' })
    await dialog.getByRole('radio', { name: /In the image file/ }).check()
    await dialog.getByRole('button', { name: 'Write metadata of 3 images' }).click()
    await dialog.getByTestId('metadata-report').getByText('3 images written · 0 skipped · 0 failed').waitFor()
    await screenshot(page, 'metadata-export')
    await page.keyboard.press('Escape')
    await dialog.waitFor({ state: 'hidden' })
    await card(page, 'kite.png').click()
    await page.getByTestId('existing-metadata').getByText(caption).waitFor()
    const writer = new MetadataWriter()
    try {
      await expect(writer.read(join(folder, 'kite.png'))).resolves.toMatchObject({ description: caption })
    } finally {
      await writer.close()
    }
    for (const dismiss of await page.getByRole('button', { name: 'Dismiss' }).all()) await dismiss.click()
    await page.getByTestId('existing-metadata').scrollIntoViewIfNeeded()
    await screenshot(page, 'metadata-detail')
  })

  it('a new session of the app finds the captions the last one kept, and can put the image back on the list', async () => {
    await app.close()
    app = await openApp({ libraryFile, colorScheme: 'dark' })
    const { page } = app
    await page.getByTestId('empty-state').waitFor()
    await page.keyboard.press('Control+f')
    await page.keyboard.type(wordOf(caption))
    const hit = page
      .getByTestId('search-hit')
      .filter({ has: page.locator('.card__name', { hasText: 'kite.png' }) })
    await hit.waitFor()
    await hit.click()
    await screenshot(page, 'search-dark')
    await page.getByRole('button', { name: 'Add to the list' }).click()
    await waitForStatus(page, 'kite.png', 'done')
    await expect(card(page, 'kite.png').getByTestId('caption').textContent()).resolves.toBe(caption)
    // Re-export: the kept caption saved again, as a caption file beside the image.
    await page.getByRole('button', { name: 'Save captions…' }).click()
    const dialog = page.getByRole('dialog', { name: 'Save captions' })
    await dialog.getByRole('button', { name: 'Write 1 caption file' }).click()
    await dialog.getByTestId('sidecar-report').getByText('1 written').waitFor()
    await expect(readFile(join(folder, 'kite.txt'), 'utf8')).resolves.toBe(`${caption}\n`)
    await page.keyboard.press('Escape')
    expect(app.problems).toEqual([])
  })
})

/**
 * A thousand images: the list is virtualised, so the DOM holds only the cards in view however long the list is,
 * and moving to the far end or back is immediate. No timing is asserted (CI machines differ); the DOM size is.
 */
import { copyFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { tempDir } from '../host/support/temp.ts'
import type { AppHarness } from './support/app.ts'
import { card, fixtureImage, openApp, screenshot } from './support/app.ts'

const COUNT = 1000
const name = (i: number): string => `photo-${String(i).padStart(4, '0')}.png`

describe('a list of 1,000 images', () => {
  let app: AppHarness

  beforeAll(async () => {
    const folder = await tempDir('ui-thousand-')
    // Copies, not links: the host grants each real file once, so every copy is its own image.
    for (let i = 0; i < COUNT; i++) await copyFile(fixtureImage('tiny.png'), join(folder, name(i)))
    app = await openApp({ openPaths: [folder] })
    await app.page.getByTestId('empty-state').waitFor()
  })

  afterAll(async () => {
    await app?.close()
  })

  it('keeps only a window of cards in the DOM while all 1,000 are in the list', async () => {
    const { page } = app
    // Pause first: the point here is the list, not describing a thousand images.
    await page.keyboard.press('p')
    await page.getByRole('button', { name: 'Open folder…' }).first().click()
    await page.getByRole('list', { name: `Images (${COUNT})` }).waitFor()
    await card(page, name(0)).waitFor()
    await page.getByRole('button', { name: 'Resume (1,000 queued)' }).waitFor()
    const rendered = await page.locator('article.card').count()
    expect(rendered).toBeGreaterThan(3)
    expect(rendered).toBeLessThan(30)
    await expect(page.locator('[role="listitem"]').last().getAttribute('aria-setsize')).resolves.toBe(
      String(COUNT)
    )
  })

  it('jumps to the last card with End and back with Home, still rendering only a window', async () => {
    const { page } = app
    await card(page, name(0)).focus()
    await page.keyboard.press('End')
    await card(page, name(COUNT - 1)).waitFor()
    await expect.poll(() => page.evaluate(() => document.activeElement?.id ?? '')).toMatch(/^card-/)
    await expect(card(page, name(COUNT - 1)).getAttribute('aria-current')).resolves.toBe('true')
    await expect(card(page, name(0)).count()).resolves.toBe(0)
    expect(await page.locator('article.card').count()).toBeLessThan(30)
    // Scrolling by hand renders the cards that come into view.
    await page.getByTestId('card-list').evaluate((list) => {
      list.scrollTop = list.scrollHeight / 2
    })
    await card(page, name(COUNT / 2)).waitFor()
    await page.keyboard.press('Home')
    await card(page, name(0)).waitFor()
    expect(await page.locator('article.card').count()).toBeLessThan(30)
  })

  it('runs the queue with done / total, images per minute and the time left, and pauses again', async () => {
    const { page } = app
    await page.keyboard.press('p')
    const summary = page.getByTestId('batch-summary')
    await summary.getByText(/images\/min/).waitFor()
    await summary.getByText(/left$/).waitFor()
    await expect(summary.textContent()).resolves.toMatch(
      /^\d+ of 1,000 images described · [\d.]+ images\/min · about .+ left$/
    )
    await screenshot(page, 'batch-running')
    await page.keyboard.press('p')
    await page.getByRole('button', { name: 'Resume' }).first().waitFor()
  })

  it('cancels the queue with Shift+Esc: finished captions stay, the rest are not described', async () => {
    const { page } = app
    await page.keyboard.press('Shift+Escape')
    await page.getByRole('button', { name: /^Describe [\d,]+$/ }).waitFor()
    await expect(card(page, name(0)).getAttribute('data-status')).resolves.toBe('done')
    await expect(card(page, name(COUNT - 1)).count()).resolves.toBe(0)
    await page.keyboard.press('End')
    await expect(card(page, name(COUNT - 1)).getAttribute('data-status')).resolves.toBe('idle')
    expect(app.problems).toEqual([])
  })
})

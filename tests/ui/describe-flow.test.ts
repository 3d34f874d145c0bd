/**
 * The main flow in the built renderer, against a real worker running the fixture model (random weights, so the
 * captions are gibberish — their content is not the point): drop images, watch captions stream, stop one, see a
 * corrupt file fail with the engine's sentence while the others finish, ask a follow-up question.
 */
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { tempDir } from '../host/support/temp.ts'
import type { AppHarness } from './support/app.ts'
import { card, dropFiles, fixtureImage, openApp, screenshot, waitForStatus } from './support/app.ts'

describe('describing images in the window', () => {
  let app: AppHarness

  beforeAll(async () => {
    app = await openApp()
  })

  afterAll(async () => {
    await app?.close()
  })

  it('starts on an empty list that says where to drop images', async () => {
    const { page } = app
    await page.getByTestId('empty-state').waitFor()
    await expect(
      page.getByRole('heading', { name: 'Drop images or folders here' }).isVisible()
    ).resolves.toBe(true)
    await expect(page.getByRole('button', { name: 'Open images…' }).first().isVisible()).resolves.toBe(true)
    await page.getByTestId('status-model').getByText('loads with the first image').waitFor()
    await screenshot(page, 'empty')
  })

  it('turns each dropped image into a card whose caption streams in; a corrupt file fails with its message while the others finish', async () => {
    const { page } = app
    // Record every text a streaming caption shows, per card, to see captions grow token by token.
    await page.evaluate(() => {
      const seen: { card: string; text: string }[] = []
      ;(window as unknown as { captionHistory: typeof seen }).captionHistory = seen
      new MutationObserver(() => {
        const streaming = document.querySelector('article.card[data-status="describing"]')
        const text = streaming?.querySelector('.card__tail')?.textContent ?? ''
        const card = streaming?.getAttribute('data-image-id') ?? ''
        const last = seen.at(-1)
        if (text !== '' && (last?.card !== card || last.text !== text)) seen.push({ card, text })
      }).observe(document.body, { subtree: true, childList: true, characterData: true })
    })
    // The tiny model writes 24 tokens in a few frames; a longer caption makes the streaming observable on any machine.
    await app.bridge.host.settings.update({ maxNewTokens: 160 })
    await dropFiles(page, [
      fixtureImage('square.png'),
      fixtureImage('bad/truncated.png'),
      fixtureImage('tiny.png'),
      fixtureImage('wide.png')
    ])
    for (const name of ['square.png', 'truncated.png', 'tiny.png', 'wide.png'])
      await card(page, name).waitFor()
    await expect(page.locator('article.card').count()).resolves.toBe(4)
    await waitForStatus(page, 'wide.png', 'done')
    await waitForStatus(page, 'square.png', 'done')
    await waitForStatus(page, 'tiny.png', 'done')
    await waitForStatus(page, 'truncated.png', 'error')
    await app.bridge.host.settings.update({ maxNewTokens: 24 })

    const history = await page.evaluate(
      () => (window as unknown as { captionHistory: { card: string; text: string }[] }).captionHistory
    )
    // Streamed: each card's caption showed several texts, each extending the one before.
    const byCard = new Map<string, { text: string }[]>()
    for (const entry of history) byCard.set(entry.card, [...(byCard.get(entry.card) ?? []), entry])
    expect(history.length).toBeGreaterThanOrEqual(3)
    expect(Math.max(...[...byCard.values()].map((texts) => texts.length))).toBeGreaterThanOrEqual(2)
    for (const texts of byCard.values())
      for (let i = 1; i < texts.length; i++) expect(texts[i]!.text.startsWith(texts[i - 1]!.text)).toBe(true)

    const error = card(page, 'truncated.png')
    await expect(error.locator('.card__caption').textContent()).resolves.toBe(
      'truncated.png is damaged or truncated; its pixels could not be decoded.'
    )
    // The captions are the model's text with its leading and trailing whitespace trimmed.
    for (const name of ['square.png', 'tiny.png', 'wide.png']) {
      const text = (await card(page, name).getByTestId('caption').textContent()) ?? ''
      expect(text.length).toBeGreaterThan(0)
      expect(text).toBe(text.trim())
    }
    await page.getByTestId('batch-summary').getByText('Finished 4 images').waitFor()
    await expect(page.getByTestId('batch-summary').textContent()).resolves.toContain('1 failed')
    await page.getByTestId('status-speed').waitFor()
    await expect(page.getByTestId('status-provider').textContent()).resolves.toContain('Running on CPU')
    await card(page, 'square.png').click()
    await screenshot(page, 'batch-done')
    await error.click()
    await page.getByTestId('detail').getByText('Error code: bad-image').waitFor()
    await screenshot(page, 'error')
    expect(app.problems).toEqual([])
  })

  it('shows a long caption growing token by token and stops it with Esc, keeping the text so far', async () => {
    const { page, bridge } = app
    // Near-uniform sampling: the fixture model then never picks its end token, so the caption runs long.
    await bridge.host.settings.update({
      sampling: { kind: 'sample', temperature: 10, seed: 7 },
      maxNewTokens: 4096
    })
    try {
      await card(page, 'wide.png').click()
      await card(page, 'wide.png').getByRole('button', { name: 'Describe again wide.png' }).click()
      const tail = card(page, 'wide.png').locator('.card__tail')
      await tail.waitFor()
      const lengths: number[] = []
      for (;;) {
        const length = ((await tail.textContent()) ?? '').length
        if (lengths.at(-1) !== length) lengths.push(length)
        if (lengths.length >= 4 && length > 120) break
      }
      expect(lengths).toEqual([...lengths].sort((a, b) => a - b))
      await screenshot(page, 'streaming')
      await page.locator('body').press('Escape')
      await waitForStatus(page, 'wide.png', 'stopped')
      const kept = (await card(page, 'wide.png').getByTestId('caption').textContent()) ?? ''
      expect(kept.length).toBeGreaterThan(120)
      await expect(card(page, 'wide.png').getByText('Stopped').isVisible()).resolves.toBe(true)
    } finally {
      await bridge.host.settings.update({ sampling: { kind: 'greedy' }, maxNewTokens: 24 })
    }
  })

  it('answers a follow-up question about the selected image', async () => {
    const { page } = app
    await card(page, 'square.png').click()
    const question = page.getByLabel('Question about square.png')
    await question.fill('What colour is it?')
    await question.press('Enter')
    const turn = page.locator('.chat__turn').first()
    await turn.getByText('What colour is it?').waitFor()
    await turn.and(page.locator('[data-status="done"]')).waitFor()
    await expect(turn.locator('.chat__answer').textContent()).resolves.not.toBe('')
    expect(app.problems).toEqual([])
  })

  it('adds a pasted image as a card of its own', async () => {
    const { page } = app
    const base64 = (await readFile(fixtureImage('palette.png'))).toString('base64')
    await page.evaluate((data) => {
      const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0))
      const clipboard = new DataTransfer()
      clipboard.items.add(new File([bytes], 'image.png', { type: 'image/png' }))
      document.dispatchEvent(new ClipboardEvent('paste', { clipboardData: clipboard, bubbles: true }))
    }, base64)
    const pasted = page
      .locator('article.card')
      .filter({ has: page.locator('.card__name', { hasText: /^Pasted [\d-]+\.png$/ }) })
    await pasted.and(page.locator('[data-status="done"]')).waitFor()
    await pasted.click()
    await page.getByTestId('detail').getByText('pasted (no folder for a caption file)').waitFor()
  })

  it('skips dropped files that are not images, and says so', async () => {
    const { page } = app
    const dir = await tempDir('ui-notes-')
    await writeFile(join(dir, 'notes.txt'), 'not a picture')
    await dropFiles(page, [join(dir, 'notes.txt')])
    await page.getByTestId('notice').getByText('Skipped 1 file that is not an image.').waitFor()
    await expect(page.locator('article.card').filter({ hasText: 'notes.txt' }).count()).resolves.toBe(0)
    expect(app.problems).toEqual([])
  })
})

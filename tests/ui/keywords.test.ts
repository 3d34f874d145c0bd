/**
 * Keyword mode in the window: the Tags preset's answers show as keyword chips, follow the keyword settings, and are
 * saved as tags (caption files), as arrays (CSV / JSON Lines) and as keywords (XMP dc:subject). The fixture model
 * writes gibberish, so every expectation is computed from the caption it really wrote with the same pure function
 * (tests/shared/keywords.test.ts specifies that function on real-looking answers).
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MetadataWriter } from '../../src/metadata/metadata-writer.ts'
import type { KeywordOptions } from '../../src/shared/keywords.ts'
import { KEYWORD_PROMPT, keywordTagLine, normalizeKeywords } from '../../src/shared/keywords.ts'
import type { AppHarness } from './support/app.ts'
import { card, imageFolder, openApp, screenshot, waitForStatus } from './support/app.ts'

const NAMES = ['beach.png', 'dog.png'] as const

describe('keyword mode', () => {
  let app: AppHarness
  let folder: string
  const answers = new Map<string, string>()
  // Always-include entries make sure every card has chips, whatever the random-weight model writes.
  let options: KeywordOptions = {
    maxCount: 6,
    lowercase: true,
    exclude: [],
    include: ['Studio Shot', 'ohwx'],
    underscores: true
  }

  /** The chips a card shows, in order. */
  const chips = async (name: string): Promise<string[]> =>
    card(app.page, name)
      .getByRole('list', { name: `Keywords of ${name}` })
      .getByRole('listitem')
      .allTextContents()

  beforeAll(async () => {
    folder = await imageFolder({ 'beach.png': 'square.png', 'dog.png': 'tiny.png' })
    // Five tokens: a short answer, so the gibberish stays under the six words a keyword may have.
    app = await openApp({ openPaths: [folder], settings: { maxNewTokens: 5, keywords: options } })
    const { page } = app
    await page.getByRole('button', { name: 'Tags', exact: true }).click()
    await expect(page.getByRole('textbox', { name: /prompt/i }).inputValue()).resolves.toBe(KEYWORD_PROMPT)
    await page.getByRole('button', { name: 'Open folder…' }).first().click()
    for (const name of NAMES) {
      await waitForStatus(page, name, 'done')
      await card(page, name).click()
      const detail = page.getByTestId('detail')
      await detail.getByRole('heading', { name }).waitFor()
      answers.set(name, (await detail.getByTestId('detail-caption').textContent()) ?? '')
    }
  })

  afterAll(async () => {
    await app?.close()
  })

  it('shows each answer as keyword chips on its card and in the detail pane, the raw answer kept', async () => {
    const { page } = app
    for (const name of NAMES) {
      const expected = normalizeKeywords(answers.get(name)!, options)
      expect(expected.slice(0, 2)).toEqual(['studio shot', 'ohwx'])
      await expect(chips(name)).resolves.toEqual(expected)
    }
    const detail = page.getByTestId('detail')
    await expect(
      detail.getByRole('list', { name: 'Keywords of dog.png' }).getByRole('listitem').allTextContents()
    ).resolves.toEqual(normalizeKeywords(answers.get('dog.png')!, options))
    await expect(detail.getByTestId('detail-caption').textContent()).resolves.toBe(answers.get('dog.png'))
    await screenshot(page, 'keywords')
    expect(app.problems).toEqual([])
  })

  it('copies the keywords of a keyword card, comma-separated', async () => {
    const { page } = app
    await card(page, 'beach.png').getByRole('button', { name: 'Copy the caption of beach.png' }).click()
    await page.getByTestId('notice').filter({ hasText: 'Copied the keywords of beach.png.' }).waitFor()
    await expect(page.evaluate(() => navigator.clipboard.readText())).resolves.toBe(
      normalizeKeywords(answers.get('beach.png')!, options).join(', ')
    )
  })

  it('follows the keyword settings at once: lowercase off, a keyword excluded, fewer keywords', async () => {
    const { page } = app
    await page.keyboard.press('Control+,')
    const dialog = page.getByRole('dialog', { name: 'Settings' })
    const section = dialog.getByRole('group', { name: 'Keywords' })
    await section.getByRole('checkbox', { name: /Lowercase/ }).uncheck()
    await section.getByLabel('Never use these keywords').fill('OHWX')
    await section.getByLabel('Never use these keywords').press('Enter')
    await section.getByLabel('Most keywords').fill('4')
    await section.getByLabel('Most keywords').press('Enter')
    await section.scrollIntoViewIfNeeded()
    await screenshot(page, 'keywords-settings')
    options = { ...options, lowercase: false, exclude: ['OHWX'], maxCount: 4 }
    // Always-include wins over exclude (tests/shared/keywords.test.ts): ohwx stays, in the spelling typed.
    await expect.poll(async () => (await app.bridge.host.settings.get()).keywords).toEqual(options)
    await page.keyboard.press('Escape')
    await dialog.waitFor({ state: 'hidden' })
    for (const name of NAMES) {
      const expected = normalizeKeywords(answers.get(name)!, options)
      expect(expected.slice(0, 2)).toEqual(['Studio Shot', 'ohwx'])
      await expect.poll(() => chips(name)).toEqual(expected)
    }
  })

  it('writes caption files as tags, trigger word first and multi-word tags with underscores', async () => {
    const { page } = app
    await page.getByRole('button', { name: 'Save captions…' }).click()
    const dialog = page.getByRole('dialog', { name: 'Save captions' })
    await dialog.getByLabel('Start every caption with (trigger word, optional)').fill('sks')
    const first = keywordTagLine(normalizeKeywords(answers.get('beach.png')!, options), options, 'sks')
    await dialog.getByText(`Preview: ${first.slice(0, 120)}`).waitFor()
    await dialog.getByRole('button', { name: 'Write 2 caption files' }).click()
    await dialog.getByTestId('sidecar-report').getByText('2 written').waitFor()
    await screenshot(page, 'keywords-export')
    for (const name of NAMES) {
      const line = keywordTagLine(normalizeKeywords(answers.get(name)!, options), options, 'sks')
      expect(line.startsWith('sks, Studio_Shot, ohwx')).toBe(true)
      await expect(readFile(join(folder, name.replace('.png', '.txt')), 'utf8')).resolves.toBe(`${line}\n`)
    }
  })

  it('writes the keywords into XMP sidecars (dc:subject), as keywords by default', async () => {
    const { page } = app
    const dialog = page.getByRole('dialog', { name: 'Save captions' })
    await expect(dialog.getByRole('combobox', { name: 'The caption is' }).inputValue()).resolves.toBe(
      'keywords'
    )
    await dialog.getByRole('radio', { name: /XMP sidecar photo\.jpg\.xmp/ }).check()
    await dialog.getByRole('button', { name: 'Write metadata of 2 images' }).click()
    await dialog.getByTestId('metadata-report').getByText('2 images written · 0 skipped · 0 failed').waitFor()
    const writer = new MetadataWriter()
    try {
      for (const name of NAMES) {
        const held = await writer.read(join(folder, name), 'darktable')
        // Metadata keeps the keywords' spaces: underscores are for caption files only.
        expect(held.keywords).toEqual(normalizeKeywords(answers.get(name)!, options))
        expect(held.description).toBeNull()
      }
    } finally {
      await writer.close()
    }
  })

  it('saves the keyword lists as arrays in JSON Lines and as JSON in one CSV cell', async () => {
    const { page } = app
    const dialog = page.getByRole('dialog', { name: 'Save captions' })
    await dialog.getByRole('button', { name: 'Save as JSON Lines…' }).click()
    const jsonNotice = page.getByTestId('notice').filter({ hasText: /\.jsonl$/ })
    await jsonNotice.waitFor()
    const jsonPath = /to (.*\.jsonl)$/.exec((await jsonNotice.textContent()) ?? '')![1]!
    const rows = (await readFile(jsonPath, 'utf8'))
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>)
    expect(rows.map((row) => [row['image'], row['caption'], row['keywords']])).toEqual(
      NAMES.map((name) => [name, answers.get(name), normalizeKeywords(answers.get(name)!, options)])
    )

    await dialog.getByRole('button', { name: 'Save as CSV…' }).click()
    const csvNotice = page.getByTestId('notice').filter({ hasText: /\.csv$/ })
    await csvNotice.waitFor()
    const csvPath = /to (.*\.csv)$/.exec((await csvNotice.textContent()) ?? '')![1]!
    const csv = await readFile(csvPath, 'utf8')
    expect(csv.split('\r\n')[0]!.split(',').at(-1)).toBe('keywords')
    for (const name of NAMES) {
      const cell = JSON.stringify(normalizeKeywords(answers.get(name)!, options))
      expect(csv).toContain(`"${cell.replace(/"/g, '""')}"\r\n`)
    }
    expect(app.problems).toEqual([])
  })
})

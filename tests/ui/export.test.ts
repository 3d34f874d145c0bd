/**
 * Saving results from the window: caption files written next to the images (existing files are never replaced
 * unless the policy says so, and the report says what happened to each), and CSV / JSON Lines tables.
 */
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AppHarness } from './support/app.ts'
import { card, imageFolder, openApp, screenshot, waitForStatus } from './support/app.ts'

describe('saving captions', () => {
  let app: AppHarness
  let folder: string
  const captions = new Map<string, string>()

  beforeAll(async () => {
    folder = await imageFolder({ 'beach.png': 'square.png', 'dog.png': 'tiny.png', 'street.jpg': 'cmyk.jpg' })
    await writeFile(join(folder, 'dog.txt'), 'an old caption\n')
    app = await openApp({ openPaths: [folder] })
    const { page } = app
    await page.getByRole('button', { name: 'Open folder…' }).first().click()
    for (const name of ['beach.png', 'dog.png', 'street.jpg']) {
      await waitForStatus(page, name, 'done')
      captions.set(name, (await card(page, name).getByTestId('caption').textContent()) ?? '')
    }
  })

  afterAll(async () => {
    await app?.close()
  })

  it('writes a caption file beside each image, keeping an existing one under the default policy', async () => {
    const { page } = app
    await page.getByRole('button', { name: 'Save captions…' }).click()
    const dialog = page.getByRole('dialog', { name: 'Save captions' })
    await expect(dialog.getByRole('radio', { name: /Keep existing files/ }).isChecked()).resolves.toBe(true)
    await dialog.getByLabel('Start every caption with (trigger word, optional)').fill('ohwx')
    await dialog.getByText(`ohwx, ${captions.get('beach.png')!.slice(0, 20)}`).waitFor()
    await dialog.getByRole('button', { name: 'Write 3 caption files' }).click()
    const report = dialog.getByTestId('sidecar-report')
    await report.getByText('2 written · 1 skipped').waitFor()
    await report.getByText('dog.txt: skipped — dog.txt already exists (policy: skip).').waitFor()
    await screenshot(page, 'export')

    await expect(readFile(join(folder, 'beach.txt'), 'utf8')).resolves.toBe(
      `ohwx, ${captions.get('beach.png')}\n`
    )
    await expect(readFile(join(folder, 'street.txt'), 'utf8')).resolves.toBe(
      `ohwx, ${captions.get('street.jpg')}\n`
    )
    await expect(readFile(join(folder, 'dog.txt'), 'utf8')).resolves.toBe('an old caption\n')
    await expect(app.bridge.host.settings.get()).toMatchObject({ triggerWord: 'ohwx', sidecarPolicy: 'skip' })
  })

  it('appends to existing files when asked, and remembers the choice', async () => {
    const { page } = app
    const dialog = page.getByRole('dialog', { name: 'Save captions' })
    await dialog.getByRole('radio', { name: /Add to the end/ }).check()
    await dialog.getByRole('button', { name: 'Write 3 caption files' }).click()
    await dialog.getByTestId('sidecar-report').getByText('3 added to').waitFor()
    await expect(readFile(join(folder, 'dog.txt'), 'utf8')).resolves.toBe(
      `an old caption\nohwx, ${captions.get('dog.png')}\n`
    )
    await expect(readFile(join(folder, 'beach.txt'), 'utf8')).resolves.toBe(
      `ohwx, ${captions.get('beach.png')}\nohwx, ${captions.get('beach.png')}\n`
    )
    await expect(app.bridge.host.settings.get()).toMatchObject({ sidecarPolicy: 'append' })
  })

  it('saves every result as CSV and as JSON Lines', async () => {
    const { page } = app
    const dialog = page.getByRole('dialog', { name: 'Save captions' })
    await dialog.getByRole('button', { name: 'Save as CSV…' }).click()
    const csvNotice = page.getByTestId('notice').filter({ hasText: /Saved 3 captions to .*\.csv$/ })
    await csvNotice.waitFor()
    const csvPath = /to (.*\.csv)$/.exec((await csvNotice.textContent()) ?? '')![1]!
    const csv = (await readFile(csvPath, 'utf8')).trimEnd().split('\r\n')
    expect(csv[0]).toBe(
      'image,path,caption,prompt,model,variant,provider,generated_tokens,tokens_per_second,total_ms,cancelled,keywords'
    )
    expect(csv.slice(1).map((line) => line.split(',')[0])).toEqual(['beach.png', 'dog.png', 'street.jpg'])

    await dialog.getByRole('button', { name: 'Save as JSON Lines…' }).click()
    const jsonNotice = page.getByTestId('notice').filter({ hasText: /\.jsonl$/ })
    await jsonNotice.waitFor()
    const jsonPath = /to (.*\.jsonl)$/.exec((await jsonNotice.textContent()) ?? '')![1]!
    const rows = (await readFile(jsonPath, 'utf8'))
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>)
    expect(rows.map((row) => [row['image'], row['caption'], row['path']])).toEqual(
      ['beach.png', 'dog.png', 'street.jpg'].map((name) => [name, captions.get(name), join(folder, name)])
    )
    expect(rows[0]).toMatchObject({
      prompt: 'Can you describe this image?',
      provider: 'cpu',
      cancelled: false
    })
    expect(app.problems).toEqual([])
  })
})

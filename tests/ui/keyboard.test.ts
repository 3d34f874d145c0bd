/**
 * The whole flow without a mouse: open images, move between cards, copy, regenerate, switch the prompt preset,
 * describe everything again, pause, stop, open and close every window — with focus always visible.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import type { AppHarness } from './support/app.ts'
import { card, imageFolder, openApp, screenshot, waitForStatus } from './support/app.ts'

const NAMES = ['a-square.png', 'b-tiny.png', 'c-wide.png']

/** What has focus: a card's image name, or the element's accessible label / tag. */
async function focused(page: Page): Promise<{ card: string | null; label: string | null; outline: string }> {
  return page.evaluate(() => {
    const element = document.activeElement as HTMLElement | null
    const style = element ? getComputedStyle(element) : null
    return {
      card: element?.closest('article.card')?.querySelector('.card__name')?.textContent ?? null,
      label: element?.getAttribute('aria-label') ?? element?.id ?? element?.tagName ?? null,
      outline: style ? `${style.outlineStyle} ${style.outlineWidth}` : 'none'
    }
  })
}

describe('keyboard-only use', () => {
  let app: AppHarness

  beforeAll(async () => {
    const folder = await imageFolder({
      'a-square.png': 'square.png',
      'b-tiny.png': 'tiny.png',
      'c-wide.png': 'wide.png'
    })
    app = await openApp({ openPaths: [folder] })
    await app.page.getByTestId('empty-state').waitFor()
  })

  afterAll(async () => {
    await app?.close()
  })

  it('opens images with Ctrl+O and describes them', async () => {
    const { page } = app
    await page.keyboard.press('Control+O')
    for (const name of NAMES) await waitForStatus(page, name, 'done')
  })

  it('moves between cards with the arrow keys, with the focused card visibly outlined', async () => {
    const { page } = app
    await page.keyboard.press('ArrowDown')
    await expect.poll(() => focused(page)).toMatchObject({ card: 'b-tiny.png' })
    await page.keyboard.press('ArrowDown')
    await page.keyboard.press('ArrowDown')
    await expect.poll(() => focused(page)).toMatchObject({ card: 'c-wide.png' })
    expect((await focused(page)).outline).toMatch(/^solid [1-9]/)
    await page.keyboard.press('Home')
    await expect.poll(() => focused(page)).toMatchObject({ card: 'a-square.png' })
    await page.keyboard.press('k')
    await expect.poll(() => focused(page)).toMatchObject({ card: 'a-square.png' })
    await page.keyboard.press('j')
    await expect.poll(() => focused(page)).toMatchObject({ card: 'b-tiny.png' })
    await expect(card(page, 'b-tiny.png').getAttribute('aria-current')).resolves.toBe('true')
  })

  it('copies the selected caption with C', async () => {
    const { page } = app
    const caption = await card(page, 'b-tiny.png').getByTestId('caption').textContent()
    await page.keyboard.press('c')
    await page.getByTestId('notice').getByText('Copied the caption of b-tiny.png.').waitFor()
    await expect(page.evaluate(() => navigator.clipboard.readText())).resolves.toBe(caption)
  })

  it("tabs from a card into that card's own buttons", async () => {
    const { page } = app
    await page.keyboard.press('Tab')
    await expect.poll(() => focused(page)).toMatchObject({ label: 'Describe again b-tiny.png' })
    await page.keyboard.press('Shift+Tab')
    await expect.poll(() => focused(page)).toMatchObject({ card: 'b-tiny.png' })
  })

  it('picks a preset with Alt+5, describes everything again with Ctrl+Shift+Enter, and uses the new prompt', async () => {
    const { page } = app
    await page.keyboard.press('Alt+5')
    const prompt = page.getByRole('textbox', { name: 'Prompt', exact: true })
    await expect(prompt.inputValue()).resolves.toBe('List keywords for this image, separated by commas.')
    await expect(page.getByRole('button', { name: 'Tags' }).getAttribute('aria-pressed')).resolves.toBe(
      'true'
    )
    await page.keyboard.press('Control+Shift+Enter')
    await page.getByTestId('batch-summary').getByText('Finished 3 images').waitFor()
    await page.getByTestId('detail').getByText('List keywords for this image, separated by commas.').waitFor()
    await expect(app.bridge.host.settings.get()).toMatchObject({
      prompt: 'List keywords for this image, separated by commas.',
      promptPresetId: 'tags'
    })
  })

  it('edits the prompt after /, leaves the field with Esc, and regenerates one card with R', async () => {
    const { page } = app
    await page.keyboard.press('/')
    await expect.poll(() => focused(page)).toMatchObject({ label: 'prompt-input' })
    await page.keyboard.type('Name the main colour.')
    await page.keyboard.press('Escape')
    await expect.poll(() => focused(page)).toMatchObject({ card: 'b-tiny.png' })
    await page.keyboard.press('r')
    await page.getByTestId('detail').getByText('Name the main colour.').waitFor()
    await waitForStatus(page, 'b-tiny.png', 'done')
    await page.getByText('Your prompt').waitFor()
  })

  it('pauses the queue with P and resumes it', async () => {
    const { page } = app
    await page.keyboard.press('p')
    const resume = page.getByRole('button', { name: 'Resume' })
    await resume.waitFor()
    await page.keyboard.press('p')
    await resume.waitFor({ state: 'detached' })
  })

  it('opens and closes every window from the keyboard, giving focus back', async () => {
    const { page } = app
    await page.keyboard.press('?')
    const help = page.getByRole('dialog', { name: 'Keyboard shortcuts' })
    await help.waitFor()
    await help.getByText('Describe every image without a caption').waitFor()
    await screenshot(page, 'help')
    await page.keyboard.press('Escape')
    await help.waitFor({ state: 'detached' })
    await expect.poll(() => focused(page)).toMatchObject({ card: 'b-tiny.png' })

    await page.keyboard.press('Control+,')
    const settings = page.getByRole('dialog', { name: 'Settings' })
    await settings.waitFor()
    const tokens = settings.getByLabel('Longest caption (tokens)')
    await tokens.focus()
    await tokens.fill('32')
    await page.keyboard.press('Enter')
    await expect.poll(() => app.bridge.host.settings.get().maxNewTokens).toBe(32)
    await screenshot(page, 'settings')
    await page.keyboard.press('Escape')
    await settings.waitFor({ state: 'detached' })

    await page.keyboard.press('m')
    await page.getByRole('dialog', { name: 'Models' }).waitFor()
    await page.keyboard.press('Escape')
    await page.keyboard.press('Control+S')
    await page.getByRole('dialog', { name: 'Save captions' }).waitFor()
    await page.keyboard.press('Escape')
    await page.getByRole('dialog').waitFor({ state: 'detached' })
  })

  it('removes the selected image with Delete and stops the running caption with Esc', async () => {
    const { page } = app
    await card(page, 'b-tiny.png').focus()
    await page.keyboard.press('Delete')
    await card(page, 'b-tiny.png').waitFor({ state: 'detached' })
    await expect.poll(() => focused(page)).toMatchObject({ card: 'c-wide.png' })
    await app.bridge.host.settings.update({
      sampling: { kind: 'sample', temperature: 10, seed: 3 },
      maxNewTokens: 4096
    })
    await page.keyboard.press('r')
    await card(page, 'c-wide.png').locator('.card__tail').waitFor()
    await page.keyboard.press('Escape')
    await waitForStatus(page, 'c-wide.png', 'stopped')
    expect(app.problems).toEqual([])
  })
})

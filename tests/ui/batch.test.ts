/**
 * Images captioned together (the batch size setting) in the built renderer, against the real worker on the fixture
 * whose decoder can batch (tiny-gqa-genai, random weights): a drop of several images goes to the worker in groups,
 * every card still streams and ends on its own, one card of a group can be stopped alone, and the settings dialog
 * offers the batch size with what it trades.
 */
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { REPO_ROOT } from '../ui-bridge/bridge.ts'
import type { AppHarness } from './support/app.ts'
import { card, dropFiles, fixtureImage, openApp, screenshot, waitForStatus } from './support/app.ts'

describe('captioning several images together', () => {
  let app: AppHarness
  /** The number of images in each group the host sent to the worker, in order. */
  const groups: number[] = []

  beforeAll(async () => {
    app = await openApp({
      modelDir: join(REPO_ROOT, 'tests/fixtures/models/tiny-gqa-genai'),
      settings: { batchSize: 4, fastMode: true, maxNewTokens: 24 }
    })
    // Observe (not replace) what the host hands the supervisor.
    const supervisor = app.bridge.host.supervisor
    const submitBatch = supervisor.submitBatch.bind(supervisor)
    supervisor.submitBatch = (message, channels) => {
      groups.push(message.jobs.length)
      submitBatch(message, channels)
    }
  })

  afterAll(async () => {
    await app?.close()
  })

  it('captions every dropped image with batch size 4, sending them to the worker four at a time', async () => {
    const { page } = app
    const names = ['square.png', 'wide.png', 'tall.png', 'gray.png', 'rgba.png']
    await dropFiles(page, names.map(fixtureImage))
    for (const name of names) await waitForStatus(page, name, 'done')
    for (const name of names) {
      const text = (await card(page, name).getByTestId('caption').textContent()) ?? ''
      expect(text.length, name).toBeGreaterThan(0)
    }
    await page.getByTestId('batch-summary').getByText('Finished 5 images').waitFor()
    // The first image loads the model alone only under the automatic size; here the setting says 4: a group of
    // four, then the last image on its own (a one-image describe, not a group).
    expect(groups).toEqual([4])
    const status = await app.bridge.host.supervisor.refreshStatus()
    expect(status.canBatch).toBe(true)
    await card(page, 'tall.png').click()
    await screenshot(page, 'batch-captioned')
    expect(app.problems).toEqual([])
  })

  it('stops one card of a running group while the other cards of it finish', async () => {
    const { page, bridge } = app
    // Near-uniform sampling: the fixture then never picks its end token, so the captions run long enough to stop.
    await bridge.host.settings.update({
      sampling: { kind: 'sample', temperature: 10, seed: 3 },
      maxNewTokens: 400
    })
    try {
      const names = ['palette.png', 'cmyk.jpg', 'tiny.png']
      await dropFiles(page, names.map(fixtureImage))
      const stopped = card(page, 'cmyk.jpg')
      await stopped.locator('.card__tail').waitFor()
      await stopped.getByRole('button', { name: 'Stop cmyk.jpg' }).click()
      await waitForStatus(page, 'cmyk.jpg', 'stopped')
      await waitForStatus(page, 'palette.png', 'done')
      await waitForStatus(page, 'tiny.png', 'done')
      expect(groups.at(-1)).toBe(3)
      // Each of the others wrote its whole caption (400 tokens), not just what it had when its neighbour stopped.
      for (const name of ['palette.png', 'tiny.png']) {
        await card(page, name).click()
        await page.getByTestId('detail').getByText('400 written', { exact: false }).waitFor()
      }
    } finally {
      await bridge.host.settings.update({ sampling: { kind: 'greedy' }, maxNewTokens: 24 })
    }
    expect(app.problems).toEqual([])
  })

  it('offers the batch size in the settings, saying what it trades, and saves a typed size', async () => {
    const { page, bridge } = app
    await page.keyboard.press('Control+,')
    const dialog = page.getByRole('dialog', { name: 'Settings' })
    const field = dialog.getByLabel('Images at once (batch size)')
    await expect(field.inputValue()).resolves.toBe('4')
    await dialog.getByText('Larger batches use more memory for more speed, mostly in fast mode').waitFor()
    await field.fill('')
    await field.press('Enter')
    await expect.poll(() => bridge.host.settings.get().batchSize).toBeNull()
    // Empty is automatic: 4 here (the CPU, a decoder that can batch).
    await expect(field.getAttribute('placeholder')).resolves.toBe('automatic (4 now)')
    await field.fill('2')
    await field.press('Enter')
    await expect.poll(() => bridge.host.settings.get().batchSize).toBe(2)
    await field.evaluate((input) => input.scrollIntoView({ block: 'center' }))
    await screenshot(page, 'settings-batch-size')
    await field.fill('17')
    await field.press('Enter')
    await dialog.getByText('Enter a number from 1 to 16.').waitFor()
    expect(bridge.host.settings.get().batchSize).toBe(2)
    expect(app.problems).toEqual([])
  })
})

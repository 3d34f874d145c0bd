/**
 * Settings and looks: the dark theme following the system (and the setting overriding it), settings saved through
 * settings.update and still there after a reload, invalid numbers refused with a reason, the execution provider
 * and a CPU fallback shown where the user sees them, and reduced motion respected.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ModelStatus } from '../../src/shared/model.ts'
import type { AppHarness } from './support/app.ts'
import { card, dropFiles, fixtureImage, openApp, screenshot, waitForStatus } from './support/app.ts'

const background = (app: AppHarness): Promise<string> =>
  app.page.evaluate(() => getComputedStyle(document.body).backgroundColor)

describe('settings and themes', () => {
  let app: AppHarness

  beforeAll(async () => {
    app = await openApp({ colorScheme: 'dark' })
  })

  afterAll(async () => {
    await app?.close()
  })

  it('follows a dark system theme', async () => {
    const { page } = app
    await dropFiles(page, [fixtureImage('square.png'), fixtureImage('wide.png'), fixtureImage('gray.png')])
    for (const name of ['square.png', 'wide.png', 'gray.png']) await waitForStatus(page, name, 'done')
    await card(page, 'wide.png').click()
    await expect(background(app)).resolves.toBe('rgb(14, 17, 22)')
    await screenshot(page, 'dark')
  })

  it('shows a fallback to the CPU in the status bar and the settings, with the reason', async () => {
    const { page, bridge } = app
    const status = await bridge.host.supervisor.refreshStatus()
    const reason = 'CUDA is not available: libcudart.so.12 was not found.'
    const fellBack: ModelStatus = {
      ...status,
      device: 'auto',
      provider: 'cpu',
      sessions: status.sessions.map((s) => ({
        ...s,
        provider: 'cpu',
        fallbacks: [{ provider: 'cuda', error: reason }]
      }))
    }
    bridge.host.onModelStatus.emit(fellBack)
    await page
      .getByTestId('status-provider')
      .getByText(`Running on CPU — fell back from CUDA: ${reason}`)
      .waitFor()
    await page.keyboard.press('Control+,')
    const dialog = page.getByRole('dialog', { name: 'Settings' })
    await dialog.getByTestId('settings-provider').getByText(`CUDA could not be used: ${reason}`).waitFor()
    await screenshot(page, 'settings-dark')
  })

  it('says so when the images are encoded on the GPU and the text written on the CPU', async () => {
    const { page, bridge } = app
    const dialog = page.getByRole('dialog', { name: 'Settings' })
    await page.keyboard.press('Escape')
    await dialog.waitFor({ state: 'hidden' })
    const status = await bridge.host.supervisor.refreshStatus()
    const split: ModelStatus = {
      ...status,
      device: 'auto',
      provider: 'cpu',
      sessions: status.sessions.map((s) => ({
        ...s,
        provider: s.session === 'vision_encoder' ? 'webgpu' : 'cpu',
        fallbacks: []
      }))
    }
    bridge.host.onModelStatus.emit(split)
    const item = page.getByTestId('status-provider')
    await item.getByText('Running on CPU, images on WebGPU').waitFor()
    await expect(item.getAttribute('title')).resolves.toContain('writes its text faster on the CPU')
    await expect(item.getAttribute('class')).resolves.not.toContain('--warn')
    await page.keyboard.press('Control+,')
    await dialog.getByTestId('settings-provider').getByText('images on WebGPU', { exact: false }).waitFor()
    await screenshot(page, 'settings-split-placement')
    // The dialog stays open for the next test.
    bridge.host.onModelStatus.emit(status)
  })

  it('saves changes as they are made and still has them after a reload', async () => {
    const { page, bridge } = app
    const dialog = page.getByRole('dialog', { name: 'Settings' })
    await dialog.getByRole('checkbox', { name: /Fast mode/ }).check()
    await dialog.getByLabel('Word choice').selectOption('sample')
    const seed = dialog.getByLabel('Seed')
    await seed.fill('42')
    await seed.press('Enter')
    await dialog.getByRole('radio', { name: 'Light' }).check()
    await expect
      .poll(() => bridge.host.settings.get())
      .toMatchObject({
        fastMode: true,
        sampling: { kind: 'sample', temperature: 0.7, topP: 0.9, seed: 42 },
        theme: 'light'
      })
    await expect.poll(() => background(app)).toBe('rgb(243, 244, 247)')

    await page.reload()
    await page.getByTestId('empty-state').waitFor()
    await page.keyboard.press('Control+,')
    const again = page.getByRole('dialog', { name: 'Settings' })
    await expect(again.getByRole('checkbox', { name: /Fast mode/ }).isChecked()).resolves.toBe(true)
    await expect(again.getByRole('radio', { name: 'Light' }).isChecked()).resolves.toBe(true)
    await expect(again.getByLabel('Seed').inputValue()).resolves.toBe('42')
    await again.getByRole('radio', { name: 'Follow the system' }).check()
    await expect.poll(() => background(app)).toBe('rgb(14, 17, 22)')
  })

  it('refuses a number out of range, says why, and keeps the saved value', async () => {
    const { page, bridge } = app
    const dialog = page.getByRole('dialog', { name: 'Settings' })
    const tokens = dialog.getByLabel('Longest caption (tokens)')
    await tokens.fill('99999')
    await tokens.press('Enter')
    await dialog.getByText('Enter a number from 1 to 4096.').waitFor()
    await expect(tokens.getAttribute('aria-invalid')).resolves.toBe('true')
    expect(bridge.host.settings.get().maxNewTokens).toBe(24)
    await page.keyboard.press('Escape')
  })

  it('turns animations and transitions off when the system asks for reduced motion', async () => {
    const { page } = app
    const timing = await page.evaluate(() => {
      const button = document.querySelector('.button')!
      return {
        reduce: matchMedia('(prefers-reduced-motion: reduce)').matches,
        transition: getComputedStyle(button).transitionDuration
      }
    })
    expect(timing.reduce).toBe(true)
    expect(timing.transition.split(', ').every((d) => d === '0.001s')).toBe(true)
    expect(app.problems).toEqual([])
  })
})

/**
 * HEIC and RAW files in the window, against the real worker and ExifTool: a folder of phone and camera files
 * becomes cards with thumbnails; the DNG's card says it was described from its embedded preview; the RAW without
 * one fails with the sentence; a dropped HEIC (uploaded as bytes) is described too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ImageRef, JobEvent } from '../../src/shared/api.ts'
import type { QueueAction } from '../../src/renderer/src/state/queue.ts'
import { EMPTY_QUEUE, reduceQueue } from '../../src/renderer/src/state/queue.ts'
import type { AppHarness } from './support/app.ts'
import {
  card,
  dropFiles,
  fixtureImage,
  imageFolder,
  openApp,
  screenshot,
  waitForStatus
} from './support/app.ts'

describe('queue reducer: a RAW described from its preview', () => {
  const image: ImageRef = { id: 'a', name: 'DSC_0001.dng', hasPath: true }
  const started = (previews?: { image: number; width: number; height: number }[]): JobEvent => ({
    type: 'started',
    inputTokens: 10,
    tiles: 1,
    grids: [],
    ...(previews ? { previews } : {})
  })
  const through = (event: JobEvent) => {
    const actions: QueueAction[] = [
      { type: 'add', images: [image], prompt: 'Describe.', at: 0 },
      { type: 'start', id: 'a', jobId: 'j1', at: 1 },
      { type: 'job-event', id: 'a', jobId: 'j1', event, at: 2 }
    ]
    return actions.reduce(reduceQueue, EMPTY_QUEUE)
  }

  it('keeps the preview size the started event names', () => {
    const state = through(started([{ image: 0, width: 480, height: 640 }]))
    expect(state.items['a']?.preview).toEqual({ image: 0, width: 480, height: 640 })
  })

  it('has no preview for an ordinary image', () => {
    expect(through(started()).items['a']?.preview).toBeUndefined()
  })
})

describe('HEIC and RAW files in the window', () => {
  let app: AppHarness

  beforeAll(async () => {
    const folder = await imageFolder({
      'IMG_0001.HEIC': 'heic-raw/rotated.heic',
      'IMG_0002.heic': 'heic-raw/wide.heic',
      'DSC_0003.dng': 'heic-raw/preview.dng',
      'DSC_0004.dng': 'heic-raw/no-preview.dng'
    })
    app = await openApp({ openPaths: [folder] })
    await app.page.getByRole('button', { name: 'Open folder…' }).first().click()
  })

  afterAll(async () => {
    await app?.close()
  })

  it('opens a folder of HEIC and DNG files as cards, describes them, and notes the RAW preview on its card', async () => {
    const { page } = app
    for (const name of ['IMG_0001.HEIC', 'IMG_0002.heic', 'DSC_0003.dng'])
      await waitForStatus(page, name, 'done')
    await waitForStatus(page, 'DSC_0004.dng', 'error')
    await expect(page.locator('article.card').count()).resolves.toBe(4)

    const note = card(page, 'DSC_0003.dng').locator('.card__note')
    await expect(note.textContent()).resolves.toBe('preview 480×640')
    await expect(note.getAttribute('title')).resolves.toBe(
      "Described from the RAW file's embedded JPEG preview, 480×640"
    )
    await expect(card(page, 'IMG_0001.HEIC').locator('.card__note').count()).resolves.toBe(0)
    await card(page, 'DSC_0003.dng').click()
    await page
      .getByTestId('detail')
      .getByText('described from the embedded preview, 480×640', { exact: false })
      .waitFor()
    await expect(card(page, 'DSC_0004.dng').locator('.card__caption').textContent()).resolves.toBe(
      'DSC_0004.dng has no embedded JPEG preview to describe (RAW sensor data is not developed here).'
    )
  })

  it('shows upright thumbnails: the rotated HEIC portrait, the DNG preview portrait, the plain HEIC landscape', async () => {
    const { page } = app
    const size = async (name: string) => {
      const img = card(page, name).locator('img')
      await img.waitFor()
      await expect
        .poll(() => img.evaluate((el) => (el as HTMLImageElement).naturalWidth), { timeout: 30_000 })
        .toBeGreaterThan(0)
      return img.evaluate((el) => [
        (el as HTMLImageElement).naturalWidth,
        (el as HTMLImageElement).naturalHeight
      ])
    }
    await expect(size('IMG_0001.HEIC')).resolves.toEqual([64, 96])
    await expect(size('IMG_0002.heic')).resolves.toEqual([96, 64])
    await expect(size('DSC_0003.dng')).resolves.toEqual([192, 256])
    await screenshot(page, 'heic-raw')
  })

  it('describes a dropped HEIC (the page hands over its bytes)', async () => {
    const { page } = app
    await dropFiles(page, [fixtureImage('heic-raw/wide.heic')])
    await waitForStatus(page, 'wide.heic', 'done')
  })
})

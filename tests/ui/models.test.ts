/**
 * The first run without a model and the model manager, against a model store that downloads from a local
 * stand-in for the Hugging Face hub serving the fixture model. Jobs resolve their model through that store as
 * the app does, so "no model" really is no model until the download finishes.
 */
import { readdir, readFile } from 'node:fs/promises'
import { join, relative, sep } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CATALOG as BUILT_IN } from '../../src/store/catalog.ts'
import type { CatalogEntry } from '../../src/store/catalog.ts'
import { ModelStore } from '../../src/store/index.ts'
import { tempDir } from '../host/support/temp.ts'
import { FakeHub } from '../store/hub-server.ts'
import type { AppHarness } from './support/app.ts'
import { card, dropFiles, fixtureImage, openApp, screenshot, waitForStatus } from './support/app.ts'
import { REPO_ROOT } from '../ui-bridge/bridge.ts'

const FIXTURES = join(REPO_ROOT, 'tests/fixtures/models')

async function repoFiles(dir: string): Promise<Record<string, Buffer>> {
  const files: Record<string, Buffer> = {}
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue
    const full = join(entry.parentPath, entry.name)
    files[relative(dir, full).split(sep).join('/')] = await readFile(full)
  }
  return files
}

/** The catalog's first two entries (their real titles and summaries), pointing at the fixture repositories on the fake hub. */
const CATALOG: CatalogEntry[] = [
  { ...BUILT_IN[0]!, repo: 'test/tiny-gqa', knownFiles: undefined, configBytes: undefined },
  { ...BUILT_IN[1]!, repo: 'test/tiny-mha', knownFiles: undefined, configBytes: undefined }
]

describe('first run and the model manager', () => {
  let app: AppHarness
  let hub: FakeHub

  beforeAll(async () => {
    // Slow enough (1.5 MB/s for a 6 MB download) to pause it part-way.
    hub = await new FakeHub({ rate: 1_500_000 }).start()
    hub.addCommit('test/tiny-gqa', await repoFiles(join(FIXTURES, 'tiny-gqa')))
    hub.addCommit('test/tiny-mha', await repoFiles(join(FIXTURES, 'tiny-mha')))
    const store = new ModelStore({
      root: await tempDir('ui-store-'),
      hubUrl: hub.url,
      catalog: CATALOG,
      progressIntervalMs: 100,
      diskReserveBytes: 0
    })
    app = await openApp({ store, modelFrom: 'store' })
  })

  afterAll(async () => {
    await app?.close()
    await hub?.close()
  })

  it('opens on a first-run screen that recommends a model and explains the choice', async () => {
    const { page } = app
    await page.getByTestId('first-run').waitFor()
    const model = page.getByRole('article', { name: 'SmolVLM 256M' })
    await model.getByText('Recommended to start').waitFor()
    // The CPU pick is per session: the 4-bit decoder with the 8-bit vision encoder, and the picker says why.
    await expect(model.getByLabel('Precision').inputValue()).resolves.toBe('')
    await model
      .getByRole('option', { name: 'q4, vision encoder uint8 — recommended' })
      .waitFor({ state: 'attached' })
    await model
      .getByText('Recommended: q4, vision encoder uint8 on a CPU, fp32 with a GPU.', { exact: false })
      .waitFor()
    await model.getByText(/8-bit vision encoder reads an image about 1\.4× faster/).waitFor()
    await screenshot(page, 'first-run')
  })

  it('downloads with per-file progress, pauses, resumes and then opens the workspace', async () => {
    const { page, bridge } = app
    const model = page.getByRole('article', { name: 'SmolVLM 256M' })
    await model.getByRole('button', { name: 'Download q4, vision encoder uint8' }).click()
    const progress = model.getByTestId('download-progress')
    await progress
      .getByRole('list', { name: 'Files' })
      .getByText('onnx/decoder_model_merged_q4.onnx')
      .waitFor()
    // Pause part-way through a file, so resuming has something to continue.
    await progress
      .locator('.download__file--downloading .download__state', { hasText: /^[1-9]\d*%$/ })
      .first()
      .waitFor()
    await screenshot(page, 'download')
    await model.getByRole('button', { name: 'Pause' }).click()
    await model.getByRole('button', { name: 'Resume download' }).waitFor()
    await model.getByText(/Download paused/).waitFor()
    await model.getByRole('button', { name: 'Resume download' }).click()
    await page.getByTestId('empty-state').waitFor()
    expect(bridge.host.settings.get()).toMatchObject({ modelId: 'smolvlm-256m', variant: 'q4' })
    // Only the chosen files came: no q4 vision encoder, no fp32 files.
    const onnx = hub.requests.flatMap((r) =>
      r.method === 'GET' && r.path?.startsWith('onnx/') ? [r.path] : []
    )
    expect(new Set(onnx)).toEqual(
      new Set([
        'onnx/vision_encoder_uint8.onnx',
        'onnx/embed_tokens_q4.onnx',
        'onnx/decoder_model_merged_q4.onnx'
      ])
    )
    // Resuming continued the paused files (Range requests) rather than starting again.
    expect(hub.requests.some((r) => r.range !== undefined)).toBe(true)
  })

  it('describes images with the downloaded model', async () => {
    const { page } = app
    await dropFiles(page, [fixtureImage('square.png')])
    await waitForStatus(page, 'square.png', 'done')
    await expect(card(page, 'square.png').getByTestId('caption').textContent()).resolves.not.toBe('')
    await page.getByTestId('status-model').getByText('smolvlm-256m').waitFor()
  })

  it('lists the installed model with its disk use, verifies it, adds a folder and deletes a model', async () => {
    const { page, bridge } = app
    await page.keyboard.press('m')
    const dialog = page.getByRole('dialog', { name: 'Models' })
    const installed = dialog.locator('li.installed[data-model-id="smolvlm-256m"]')
    await installed.getByText('In use').waitFor()
    await installed.getByText(/^q4 · /).waitFor()
    await dialog
      .getByTestId('disk-usage')
      .getByText(/MB on disk$/)
      .waitFor()
    await installed.getByRole('button', { name: 'Verify' }).click()
    await installed
      .getByTestId('verify-result')
      .getByText(/^All \d+ files are intact\.$/)
      .waitFor()
    await screenshot(page, 'models')

    bridge.setImportFolder(join(FIXTURES, 'tiny-mha'))
    await dialog.getByRole('button', { name: 'Choose a model folder…' }).click()
    await expect.poll(() => dialog.locator('li.installed').count()).toBe(2)
    const added = dialog.locator('li.installed').filter({ hasNot: page.getByText('In use') })
    await added.getByText(/imported \(used where it is\)/).waitFor()
    await added.getByRole('button', { name: /^Delete / }).click()
    await added.getByRole('button', { name: /^Delete [\d.]+ MB$/ }).click()
    await expect.poll(() => dialog.locator('li.installed').count()).toBe(1)
    // An in-place import is forgotten, never deleted from where it lives.
    await expect(readdir(join(FIXTURES, 'tiny-mha'))).resolves.toContain('config.json')
    expect(app.problems).toEqual([])
  })
})

import { afterEach, describe, expect, it, vi } from 'vitest'
import { AppHost } from '../../src/host/app-host.ts'
import type { ModelStoreLike } from '../../src/host/store-service.ts'
import { StoreService } from '../../src/host/store-service.ts'
import { createModelStore } from '../../src/main/model-store.ts'
import type { ModelSpec, PullProgress, StoreProgressEvent } from '../../src/shared/contract.ts'
import { CatalogEntryInfoSchema, InstalledModelInfoSchema } from '../../src/shared/contract.ts'
import type { InstalledModel, PullOptions } from '../../src/store/index.ts'
import { fakeModel, inProcessLauncher } from './support/fake-worker.ts'
import { FIXTURE_MODEL_DIR, image, recorder } from './support/jobs.ts'
import { tempDir } from './support/temp.ts'

const hosts: AppHost[] = []
afterEach(async () => {
  for (const h of hosts.splice(0)) await h.close()
})

describe('store requests against the engine’s ModelStore', () => {
  it('lists the catalog, imports a folder, and describes with the imported model', async () => {
    const loaded: ModelSpec[] = []
    const host = await AppHost.create({
      settingsDir: await tempDir(),
      launcher: inProcessLauncher(async (spec) => {
        loaded.push(spec)
        return fakeModel()
      }),
      dialogs: {
        openImages: async () => null,
        saveExport: async () => null,
        chooseModelFolder: async () => FIXTURE_MODEL_DIR
      },
      store: await createModelStore(await tempDir())
    })
    hosts.push(host)
    const context = { openJob: () => ({ emit: () => undefined }) }
    const call = (method: string, payload: unknown) => host.handle(method, payload, context)

    const catalog = await call('store.catalog', {})
    expect(catalog.ok).toBe(true)
    const entries = CatalogEntryInfoSchema.array().parse(catalog.ok ? catalog.value : null)
    expect(entries.map((e) => e.id)).toContain('smolvlm-256m')
    expect(await call('store.installed', {})).toEqual({ ok: true, value: [] })

    const imported = await call('store.importFolder', { mode: 'in-place' })
    const model = InstalledModelInfoSchema.parse(imported.ok ? imported.value : null)
    expect(model).toMatchObject({ id: 'local/tiny-gqa', source: 'import-in-place' })
    expect(JSON.stringify(model)).not.toContain(FIXTURE_MODEL_DIR)

    await call('settings.update', { modelId: model.id, device: 'cpu', maxNewTokens: 2 })
    const added = await call('images.addPaths', { paths: [image('square.png')] })
    const id = added.ok ? (added.value as { id: string }[])[0].id : ''
    const { job, emit } = recorder('with-store')
    await host.handle(
      'describe',
      { jobId: 'with-store', request: { images: [id] } },
      { openJob: () => ({ emit }) }
    )
    expect(await job.finished).toMatchObject({ type: 'done', text: 'word0 word1' })
    expect(loaded[0]).toMatchObject({
      id: 'local/tiny-gqa',
      dir: FIXTURE_MODEL_DIR,
      variant: 'fp32',
      device: 'cpu'
    })
  })

  it('answers a describe for a model that is not installed with model-missing', async () => {
    const host = await AppHost.create({
      settingsDir: await tempDir(),
      launcher: inProcessLauncher(),
      dialogs: {
        openImages: async () => null,
        saveExport: async () => null,
        chooseModelFolder: async () => null
      },
      store: await createModelStore(await tempDir())
    })
    hosts.push(host)
    const answer = await host.handle('model.load', {}, { openJob: () => ({ emit: () => undefined }) })
    expect(answer).toMatchObject({ ok: false, error: { code: 'model-missing' } })
  })

  it('refuses a path where a model id belongs', async () => {
    const host = await AppHost.create({
      settingsDir: await tempDir(),
      launcher: inProcessLauncher(),
      dialogs: {
        openImages: async () => null,
        saveExport: async () => null,
        chooseModelFolder: async () => null
      }
    })
    hosts.push(host)
    const context = { openJob: () => ({ emit: () => undefined }) }
    expect(await host.handle('settings.update', { modelId: '/home/me/model' }, context)).toMatchObject({
      ok: false
    })
    expect(await host.handle('store.pull', { ref: '../../etc' }, context)).toMatchObject({ ok: false })
  })
})

describe('downloads: progress, pause, cancel, failure', () => {
  const progress = (bytes: number): Parameters<NonNullable<PullOptions['onProgress']>>[0] => ({
    phase: 'downloading',
    file: 'onnx/decoder_model_merged_q4.onnx',
    bytes,
    total: 100,
    bytesPerSecond: 10,
    etaSeconds: 5,
    files: [{ path: 'onnx/decoder_model_merged_q4.onnx', bytes, total: 100, state: 'downloading' }]
  })

  /** A store whose pull reports progress, then waits until aborted (or fails when told to). */
  function fakeStore(fail?: Error) {
    const discardPartial = vi.fn(async () => undefined)
    const store = {
      discardPartial,
      async pull(_ref: string, options: PullOptions = {}) {
        options.onProgress?.(progress(10))
        if (fail) throw fail
        await new Promise((_resolve, reject) =>
          options.signal?.addEventListener('abort', () => reject(new Error('aborted')), { once: true })
        )
        return {} as InstalledModel
      }
    } as unknown as ModelStoreLike
    return { store, discardPartial }
  }

  it('announces progress, and pause ends the pull as paused keeping its files', async () => {
    const { store, discardPartial } = fakeStore()
    const service = new StoreService(store)
    const events: StoreProgressEvent[] = []
    service.onProgress.add((e) => events.push(e))
    const pull = service.pull('smolvlm-256m', 'q4')
    expect(service.pause('smolvlm-256m')).toEqual({ paused: true })
    expect(await pull).toEqual({ state: 'paused' })
    expect(events.map((e) => e.state)).toEqual(['running', 'paused'])
    expect((events[0].progress as PullProgress).files[0].bytes).toBe(10)
    expect(discardPartial).not.toHaveBeenCalled()
  })

  it('cancel ends the pull as cancelled and discards what it downloaded', async () => {
    const { store, discardPartial } = fakeStore()
    const service = new StoreService(store)
    const pull = service.pull('smolvlm-256m', undefined)
    expect(await service.cancel('smolvlm-256m')).toEqual({ cancelled: true })
    expect(await pull).toEqual({ state: 'cancelled' })
    expect(discardPartial).toHaveBeenCalledWith('smolvlm-256m')
  })

  it('reports a failed download with its code', async () => {
    const { store } = fakeStore(
      Object.assign(new Error('The hub did not answer.'), { code: 'download-failed' })
    )
    const service = new StoreService(store)
    expect(await service.pull('smolvlm-256m', undefined)).toEqual({
      state: 'error',
      error: { code: 'download-failed', message: 'The hub did not answer.' }
    })
  })
})

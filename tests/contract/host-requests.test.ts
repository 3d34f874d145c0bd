import { afterEach, describe, expect, it } from 'vitest'
import { AppHost } from '../../src/host/app-host.ts'
import type { HostDialogs } from '../../src/host/app-host.ts'
import type { JobEvent } from '../../src/shared/contract.ts'
import { inProcessLauncher } from '../host/support/fake-worker.ts'
import { image, recorder } from '../host/support/jobs.ts'
import { tempDir } from '../host/support/temp.ts'

const hosts: AppHost[] = []
afterEach(async () => {
  for (const h of hosts.splice(0)) await h.close()
})

const noDialogs: HostDialogs = {
  openImages: async () => null,
  saveExport: async () => null,
  chooseModelFolder: async () => null
}

async function host(dialogs: Partial<HostDialogs> = {}) {
  const h = await AppHost.create({
    settingsDir: await tempDir(),
    launcher: inProcessLauncher(),
    dialogs: { ...noDialogs, ...dialogs },
    resolveModel: async (settings) => ({
      id: 'fake',
      dir: '/models/fake',
      variant: settings.variant,
      device: 'cpu'
    })
  })
  hosts.push(h)
  const jobs = new Map<string, (event: JobEvent) => void>()
  const context = { openJob: (jobId: string) => ({ emit: (event: JobEvent) => jobs.get(jobId)?.(event) }) }
  const call = (method: unknown, payload: unknown) => h.handle(method, payload, context)
  const describeJob = async (jobId: string, request: unknown) => {
    const { job, emit } = recorder(jobId)
    if (!jobs.has(jobId)) jobs.set(jobId, emit)
    const answer = await call('describe', { jobId, request })
    return { answer, job }
  }
  return { h, call, describeJob }
}

describe('host request handling: hostile and mistaken requests', () => {
  it('refuses an unknown method without acting', async () => {
    const { call } = await host()
    expect(await call('fs.readFile', { path: '/etc/passwd' })).toMatchObject({
      ok: false,
      error: { code: 'invalid-message' }
    })
    expect(await call('__proto__', {})).toMatchObject({ ok: false, error: { code: 'invalid-message' } })
    expect(await call(42, {})).toMatchObject({ ok: false, error: { code: 'invalid-message' } })
  })

  it('refuses a payload of the wrong shape, naming the field', async () => {
    const { call } = await host()
    const answer = await call('settings.update', { maxNewTokens: 'many' })
    expect(answer).toMatchObject({ ok: false, error: { code: 'invalid-message' } })
    if (!answer.ok) expect(answer.error.message).toContain('maxNewTokens')
  })

  it('refuses a describe of an image id it never handed out (not-granted), and of a path (invalid-message)', async () => {
    const { describeJob } = await host()
    expect((await describeJob('j1', { images: ['abcdef123'], prompt: 'hi' })).answer).toMatchObject({
      ok: false,
      error: { code: 'not-granted' }
    })
    expect((await describeJob('j2', { images: ['/etc/passwd'], prompt: 'hi' })).answer).toMatchObject({
      ok: false,
      error: { code: 'invalid-message' }
    })
  })

  it('refuses thumbnails and exports of ids it never handed out', async () => {
    const { call } = await host({ saveExport: async () => '/tmp/should-not-be-written.csv' })
    expect(await call('images.thumbnail', { id: 'nope' })).toMatchObject({
      ok: false,
      error: { code: 'not-granted' }
    })
    expect(
      await call('results.export', { format: 'csv', rows: [{ imageId: 'nope', text: 'x' }] })
    ).toMatchObject({
      ok: false,
      error: { code: 'not-granted' }
    })
  })

  it('refuses a second job with an id already in use', async () => {
    const { call, describeJob } = await host()
    const added = await call('images.addPaths', { paths: [image('square.png')] })
    if (!added.ok) throw new Error('grant failed')
    const id = (added.value as { id: string }[])[0].id
    const first = await describeJob('same', { images: [id], options: { maxNewTokens: 1000 } })
    expect(first.answer).toEqual({ ok: true, value: { accepted: true } })
    expect((await describeJob('same', { images: [id] })).answer).toMatchObject({
      ok: false,
      error: { code: 'invalid-message' }
    })
    await call('cancel', { jobId: 'same' })
    expect(await first.job.finished).toMatchObject({ type: 'done', cancelled: true })
  })
})

describe('host request handling: the happy path', () => {
  it('grants a drop, describes it with the settings, and streams the job to its channel', async () => {
    const { call, describeJob } = await host()
    await call('settings.update', { maxNewTokens: 3 })
    const added = await call('images.addPaths', { paths: [image('square.png')] })
    expect(added.ok).toBe(true)
    const id = added.ok ? (added.value as { id: string }[])[0].id : ''
    const { answer, job } = await describeJob('job-1', { images: [id] })
    expect(answer).toEqual({ ok: true, value: { accepted: true } })
    expect(await job.finished).toMatchObject({ type: 'done', text: 'word0 word1 word2' })
  })

  it('makes a WebP thumbnail with the original size', async () => {
    const { call } = await host()
    const added = await call('images.addPaths', { paths: [image('exif-rotated.jpg')] })
    const id = added.ok ? (added.value as { id: string }[])[0].id : ''
    const thumb = await call('images.thumbnail', { id })
    expect(thumb).toMatchObject({ ok: true, value: { width: 160, height: 320 } })
    if (thumb.ok) expect((thumb.value as { dataUrl: string }).dataUrl).toMatch(/^data:image\/webp;base64,/)
  })

  it('grants what the open dialog returns, and nothing when it is cancelled', async () => {
    const picked = await host({ openImages: async () => [image('tall.png'), image('wide.png')] })
    const answer = await picked.call('images.open', {})
    expect(answer.ok && (answer.value as { name: string }[]).map((r) => r.name)).toEqual([
      'tall.png',
      'wide.png'
    ])
    const cancelled = await host()
    expect(await cancelled.call('images.open', {})).toEqual({ ok: true, value: [] })
  })

  it('answers store calls with model-missing when no store is configured', async () => {
    const { call } = await host()
    expect(await call('store.catalog', {})).toMatchObject({ ok: false, error: { code: 'model-missing' } })
  })
})

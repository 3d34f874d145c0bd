import { resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AppHost } from '../../src/host/app-host.ts'
import { nodeWorkerLauncher, sourceWorkerEntry } from '../../src/host/node-launcher.ts'
import type { ApiResult, JobEvent, TerminalEvent } from '../../src/shared/contract.ts'
import { image, recorder, REPO_ROOT } from './support/jobs.ts'
import type { RecordedJob } from './support/jobs.ts'
import { tempDir } from './support/temp.ts'

/**
 * describeBatch through the app host (validation, the broker's ids, the settings' options) to the real worker on
 * the fixture whose decoder can batch: each image comes back as its own job.
 */
describe('host: describeBatch', () => {
  let host: AppHost
  const streams = new Map<string, (event: JobEvent) => void>()
  const context = { openJob: (jobId: string) => ({ emit: (event: JobEvent) => streams.get(jobId)?.(event) }) }
  let counter = 0

  beforeAll(async () => {
    host = await AppHost.create({
      settingsDir: await tempDir(),
      launcher: nodeWorkerLauncher(sourceWorkerEntry()),
      dialogs: {
        openImages: async () => null,
        saveExport: async () => null,
        chooseModelFolder: async () => null
      },
      resolveModel: async (settings) => ({
        id: 'tiny-gqa-genai',
        dir: resolve(REPO_ROOT, 'tests/fixtures/models/tiny-gqa-genai'),
        variant: settings.variant,
        device: 'cpu',
        threads: 1
      })
    })
    await host.settings.update({ fastMode: true, maxNewTokens: 12, prompt: 'Describe this image.' })
  })

  afterAll(async () => {
    await host.close()
  })

  const jobIds = (count: number) => Array.from({ length: count }, () => `hb-${++counter}`)
  const record = (ids: readonly string[]): RecordedJob[] =>
    ids.map((jobId) => {
      const { job, emit } = recorder(jobId)
      streams.set(jobId, emit)
      return job
    })
  const call = (method: string, payload: unknown): Promise<ApiResult> => host.handle(method, payload, context)

  it("runs each granted image as its own job with the settings' prompt and fast mode, as one-image jobs would", async () => {
    const refs = await host.broker.grantPaths([image('square.png'), image('wide.png')], 'drop')
    const alone: TerminalEvent[] = []
    for (const ref of refs) {
      const [jobId] = jobIds(1)
      const [job] = record([jobId!])
      expect(await call('describe', { jobId, request: { images: [ref.id] } })).toMatchObject({ ok: true })
      alone.push(await job!.finished)
    }
    const ids = jobIds(2)
    const jobs = record(ids)
    const answer = await call('describeBatch', {
      jobs: refs.map((ref, i) => ({ jobId: ids[i], image: ref.id }))
    })
    expect(answer).toEqual({ ok: true, value: { accepted: true } })
    const ends = await Promise.all(jobs.map((job) => job.finished))
    ends.forEach((end, i) => {
      expect(end).toMatchObject({ type: 'done', cancelled: false, stats: { tiles: 1 } })
      expect(end).toEqual({ ...alone[i], stats: expect.anything() })
    })
  })

  it('refuses a batch naming an image id it never handed out, and runs none of it', async () => {
    const [ref] = await host.broker.grantPaths([image('square.png')], 'drop')
    const ids = jobIds(2)
    const answer = await call('describeBatch', {
      jobs: [
        { jobId: ids[0], image: ref!.id },
        { jobId: ids[1], image: 'forged-id' }
      ]
    })
    expect(answer).toMatchObject({ ok: false, error: { code: 'not-granted' } })
    expect(ids.some((id) => host.supervisor.hasJob(id))).toBe(false)
  })

  it('refuses a batch that reuses the id of a job already running', async () => {
    const [ref] = await host.broker.grantPaths([image('tall.png')], 'drop')
    const [running, fresh] = jobIds(2)
    const [job] = record([running!])
    await call('describe', { jobId: running, request: { images: [ref!.id], options: { maxNewTokens: 200 } } })
    const answer = await call('describeBatch', {
      jobs: [
        { jobId: fresh, image: ref!.id },
        { jobId: running, image: ref!.id }
      ]
    })
    expect(answer).toMatchObject({ ok: false, error: { code: 'invalid-message' } })
    expect(host.supervisor.hasJob(fresh!)).toBe(false)
    await job!.finished
  })
})

import { resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { nodeWorkerLauncher, sourceWorkerEntry } from '../../src/host/node-launcher.ts'
import { WorkerSupervisor } from '../../src/host/supervisor.ts'
import type { ModelSpec, WorkerBatchRequest } from '../../src/shared/contract.ts'
import { FIXTURE_MODEL, image, REPO_ROOT, request, submit, submitBatch } from '../host/support/jobs.ts'

/** HEIC and DNG fixtures (scripts/fixtures/heic-raw/make.ts) through the real worker child process. */
const heicRaw = (name: string) => image(`heic-raw/${name}`)

describe('HEIC and RAW images in the worker', () => {
  let supervisor: WorkerSupervisor
  beforeAll(() => {
    supervisor = new WorkerSupervisor({ launcher: nodeWorkerLauncher(sourceWorkerEntry()) })
    supervisor.start()
  })
  afterAll(() => supervisor.stop())

  it('describes a HEIC; its started event names no preview', async () => {
    const job = submit(supervisor, request({ images: [heicRaw('rotated.heic')], maxNewTokens: 4 }))
    expect(await job.finished).toMatchObject({ type: 'done', cancelled: false })
    expect(job.events[0]).toEqual({
      type: 'started',
      inputTokens: expect.any(Number),
      tiles: 1,
      grids: [{ rows: 0, cols: 0 }]
    })
  })

  it('describes a DNG from its embedded preview and says so, with the size described, in the started event', async () => {
    const job = submit(supervisor, request({ images: [heicRaw('preview.dng')], maxNewTokens: 4 }))
    expect(await job.finished).toMatchObject({ type: 'done', cancelled: false })
    expect(job.events[0]).toMatchObject({
      type: 'started',
      previews: [{ image: 0, width: 480, height: 640 }]
    })
  })

  it('fails a DNG without a preview as bad-image with the sentence, and goes on', async () => {
    const failed = await submit(supervisor, request({ images: [heicRaw('no-preview.dng')] })).finished
    expect(failed).toEqual({
      type: 'error',
      error: {
        code: 'bad-image',
        message:
          'no-preview.dng has no embedded JPEG preview to describe (RAW sensor data is not developed here).'
      }
    })
    expect(await submit(supervisor, request({ maxNewTokens: 2 })).finished).toMatchObject({ type: 'done' })
  })

  it('in a batch, a RAW without a preview fails alone; the DNG and the HEIC are described', async () => {
    const model: ModelSpec = {
      ...FIXTURE_MODEL,
      id: 'tiny-gqa-genai',
      dir: resolve(REPO_ROOT, 'tests/fixtures/models/tiny-gqa-genai')
    }
    const batch: WorkerBatchRequest = {
      prompt: 'Describe this image.',
      maxNewTokens: 4,
      sampling: { kind: 'greedy' },
      doImageSplitting: false
    }
    const jobs = submitBatch(
      supervisor,
      [heicRaw('no-preview.dng'), heicRaw('preview.dng'), heicRaw('wide.heic')],
      batch,
      { model }
    )
    const ends = await Promise.all(jobs.map((job) => job.finished))
    expect(ends.map((end) => end.type)).toEqual(['error', 'done', 'done'])
    expect(jobs[1]!.events[0]).toMatchObject({
      type: 'started',
      previews: [{ image: 0, width: 480, height: 640 }]
    })
    expect(jobs[2]!.events[0]).not.toHaveProperty('previews')
  })
})

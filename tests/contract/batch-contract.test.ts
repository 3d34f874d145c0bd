import { describe, expect, it } from 'vitest'
import {
  API_REQUESTS,
  autoBatchSize,
  DEFAULT_SETTINGS,
  LIMITS,
  MainToWorkerSchema,
  recoverSettings,
  salvageBatchJobIds,
  SettingsPatchSchema,
  WorkerModelStatusSchema,
  emptyWorkerModelStatus
} from '../../src/shared/contract.ts'
import { FIXTURE_MODEL, image } from '../host/support/jobs.ts'

/** The messages of a batch (several images decoded together, each its own job) at each boundary. */
const ok = (schema: { safeParse(v: unknown): { success: boolean } }, value: unknown) =>
  schema.safeParse(value).success

const pageJobs = (count: number) =>
  Array.from({ length: count }, (_, i) => ({ jobId: `job-${i}`, image: `img-${i}` }))

describe('describeBatch from the page', () => {
  const schema = API_REQUESTS.describeBatch

  it('accepts 1 to LIMITS.batchSize images with distinct job ids, a prompt and options', () => {
    expect(ok(schema, { jobs: pageJobs(1) })).toBe(true)
    expect(
      ok(schema, { jobs: pageJobs(LIMITS.batchSize), prompt: 'Describe.', options: { maxNewTokens: 8 } })
    ).toBe(true)
  })

  it('rejects an empty or oversized batch, a repeated job id, chat messages and extra fields', () => {
    expect(ok(schema, { jobs: [] })).toBe(false)
    expect(ok(schema, { jobs: pageJobs(LIMITS.batchSize + 1) })).toBe(false)
    expect(ok(schema, { jobs: [...pageJobs(2), { jobId: 'job-0', image: 'img-9' }] })).toBe(false)
    expect(
      ok(schema, { jobs: pageJobs(2), messages: [{ role: 'user', content: [{ type: 'image' }] }] })
    ).toBe(false)
    expect(ok(schema, { jobs: pageJobs(2), priority: true })).toBe(false)
    expect(ok(schema, { jobs: [{ jobId: 'job 1', image: 'img-1' }] })).toBe(false)
    expect(ok(schema, { jobs: [{ jobId: 'job-1', image: 'img-1', path: '/etc/passwd' }] })).toBe(false)
    expect(ok(schema, { jobs: pageJobs(2), options: { maxNewTokens: 0 } })).toBe(false)
  })
})

describe('describe-batch from main to the worker', () => {
  const batch = (overrides: Record<string, unknown> = {}) => ({
    type: 'describe-batch',
    model: FIXTURE_MODEL,
    jobs: [
      { jobId: 'a', image: image('square.png') },
      { jobId: 'b', image: image('wide.png') }
    ],
    request: { prompt: 'Describe.', maxNewTokens: 8, sampling: { kind: 'greedy' }, doImageSplitting: false },
    ...overrides
  })

  it('accepts resolved options and absolute paths, one job per image', () => {
    expect(ok(MainToWorkerSchema, batch())).toBe(true)
  })

  it('rejects relative paths, repeated ids, a missing prompt, chat and cache reuse, and too many images', () => {
    expect(ok(MainToWorkerSchema, batch({ jobs: [{ jobId: 'a', image: 'square.png' }] }))).toBe(false)
    expect(
      ok(
        MainToWorkerSchema,
        batch({
          jobs: [
            { jobId: 'a', image: image('square.png') },
            { jobId: 'a', image: image('wide.png') }
          ]
        })
      )
    ).toBe(false)
    const { request } = batch() as { request: Record<string, unknown> }
    const { prompt: _prompt, ...withoutPrompt } = request
    expect(ok(MainToWorkerSchema, batch({ request: withoutPrompt }))).toBe(false)
    expect(ok(MainToWorkerSchema, batch({ request: { ...request, reusePrefix: true } }))).toBe(false)
    expect(ok(MainToWorkerSchema, batch({ request: { ...request, messages: [] } }))).toBe(false)
    const many = Array.from({ length: LIMITS.batchSize + 1 }, (_, i) => ({
      jobId: `j${i}`,
      image: image('tiny.png')
    }))
    expect(ok(MainToWorkerSchema, batch({ jobs: many }))).toBe(false)
  })

  it('salvages the usable, distinct job ids of a malformed batch by position', () => {
    expect(salvageBatchJobIds({ jobs: [{ jobId: 'a' }, { jobId: 'bad id' }, { jobId: 'a' }, 7] })).toEqual([
      'a',
      null,
      null,
      null
    ])
    expect(salvageBatchJobIds({ jobs: 'a' })).toEqual([])
    expect(salvageBatchJobIds(null)).toEqual([])
  })
})

describe('the batch size setting and the model status it reads', () => {
  it('defaults to automatic (null) and takes 1 to LIMITS.batchSize whole images', () => {
    expect(DEFAULT_SETTINGS.batchSize).toBeNull()
    for (const value of [null, 1, 4, LIMITS.batchSize])
      expect(ok(SettingsPatchSchema, { batchSize: value })).toBe(true)
    for (const value of [0, LIMITS.batchSize + 1, 2.5, '4'])
      expect(ok(SettingsPatchSchema, { batchSize: value })).toBe(false)
  })

  it('repairs a damaged batch size in a settings file to automatic', () => {
    const { settings, repaired } = recoverSettings({ ...DEFAULT_SETTINGS, batchSize: 99 })
    expect(settings.batchSize).toBeNull()
    expect(repaired).toEqual(['batchSize'])
  })

  it('means 4 on the CPU where the decoder can batch, 1 otherwise (measured: docs/performance.md)', () => {
    expect(autoBatchSize({ canBatch: true, provider: 'cpu' })).toBe(4)
    expect(autoBatchSize({ canBatch: false, provider: 'cpu' })).toBe(1)
    expect(autoBatchSize({ canBatch: true, provider: 'webgpu' })).toBe(1)
    expect(autoBatchSize(null)).toBe(1)
  })

  it('carries canBatch in every worker status', () => {
    expect(emptyWorkerModelStatus().canBatch).toBe(false)
    const { canBatch: _canBatch, ...without } = emptyWorkerModelStatus()
    expect(ok(WorkerModelStatusSchema, without)).toBe(false)
    expect(ok(WorkerModelStatusSchema, { ...emptyWorkerModelStatus(), canBatch: 'yes' })).toBe(false)
  })
})

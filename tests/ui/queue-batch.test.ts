/**
 * Groups of images captioned together (the batch size setting): which queued images the next group takes, and the
 * controller sending them as one describeBatch with a job per image, against a fake API the test drives by hand.
 */
import { describe, expect, it } from 'vitest'
import type { DescribeJob, ImageRef, JobEvent, SmolvlmApi } from '../../src/shared/api.ts'
import { ZERO_STATS } from '../../src/shared/jobs.ts'
import { QueueController } from '../../src/renderer/src/state/queue-controller.ts'
import { EMPTY_QUEUE, nextGroup, reduceQueue } from '../../src/renderer/src/state/queue.ts'
import type { QueueAction, QueueState } from '../../src/renderer/src/state/queue.ts'

const image = (id: string): ImageRef => ({ id, name: `${id}.png`, hasPath: true })
const done = (text: string, cancelled = false): JobEvent => ({
  type: 'done',
  text,
  tokenIds: [],
  stoppedBy: cancelled ? 'cancelled' : 'eos',
  cancelled,
  stats: { ...ZERO_STATS, generatedTokens: 2 }
})

interface FakeJob {
  readonly jobId: string
  readonly images: readonly string[]
  readonly prompt: string | undefined
  readonly emit: (event: JobEvent) => void
  cancelled: boolean
}

/** describe and describeBatch that record their jobs; calls lists each call's jobs. */
function fakeApi() {
  const jobs: FakeJob[] = []
  const calls: { method: 'describe' | 'describeBatch'; jobs: FakeJob[] }[] = []
  const open = (images: readonly string[], prompt: string | undefined, emit: (event: JobEvent) => void) => {
    const job: FakeJob = { jobId: `job-${jobs.length + 1}`, images, prompt, emit, cancelled: false }
    jobs.push(job)
    const handle: DescribeJob = {
      jobId: job.jobId,
      cancel: () => {
        job.cancelled = true
      },
      finished: new Promise(() => undefined)
    }
    return { job, handle }
  }
  const api: Pick<SmolvlmApi, 'describe' | 'describeBatch'> = {
    describe(request, onEvent) {
      const { job, handle } = open(request.images, request.prompt, onEvent)
      calls.push({ method: 'describe', jobs: [job] })
      return handle
    },
    describeBatch(request, onEvent) {
      const opened = request.images.map((id, index) =>
        open([id], request.prompt, (event) => onEvent(index, event))
      )
      calls.push({ method: 'describeBatch', jobs: opened.map((o) => o.job) })
      return opened.map((o) => o.handle)
    }
  }
  return { api, jobs, calls }
}

function controller(batchSize: number) {
  const { api, jobs, calls } = fakeApi()
  const captions: string[] = []
  const settled: string[] = []
  const queue = new QueueController(api, {
    clock: () => 0,
    nextFrame: (callback) => callback(),
    batchSize,
    onCaption: (caption) => captions.push(`${caption.imageId}:${caption.text}`),
    onSettled: (ended) => settled.push(`${ended.imageId}:${ended.failed ? 'failed' : 'not-done'}`)
  })
  const status = (...ids: string[]) => ids.map((id) => queue.getState().items[id]?.status)
  return { queue, jobs, calls, captions, settled, status }
}

const reduce = (state: QueueState, ...actions: QueueAction[]) => actions.reduce(reduceQueue, state)
const added = (ids: string[], prompt: string | null) =>
  reduce(EMPTY_QUEUE, { type: 'add', images: ids.map(image), prompt, at: 0 })

describe('nextGroup', () => {
  it('takes up to the batch size of the waiting images queued with the first one’s prompt, in queue order', () => {
    let state = added(['a', 'b', 'c', 'd', 'e'], null)
    state = reduce(
      state,
      { type: 'enqueue', ids: ['a', 'b'], prompt: 'P', priority: false, at: 0 },
      { type: 'enqueue', ids: ['c'], prompt: 'Q', priority: false, at: 0 },
      { type: 'enqueue', ids: ['d', 'e'], prompt: 'P', priority: false, at: 0 }
    )
    expect(nextGroup(state, 3)).toEqual(['a', 'b', 'd'])
    expect(nextGroup(state, 16)).toEqual(['a', 'b', 'd', 'e'])
    expect(nextGroup(state, 1)).toEqual(['a'])
  })

  it('puts images asked for by themselves first, and takes only those while paused', () => {
    let state = added(['a', 'b', 'c'], 'P')
    state = reduce(
      state,
      { type: 'pause', at: 0 },
      { type: 'add', images: [image('x')], prompt: null, at: 0 },
      { type: 'enqueue', ids: ['x'], prompt: 'P', priority: true, at: 0 }
    )
    expect(nextGroup(state, 4)).toEqual(['x'])
    state = reduce(state, { type: 'resume', at: 0 })
    expect(nextGroup(state, 4)).toEqual(['x', 'a', 'b', 'c'])
  })

  it('starts nothing while a group is running, until each of its images has ended', () => {
    let state = added(['a', 'b', 'c'], 'P')
    state = reduce(state, {
      type: 'start-group',
      jobs: [
        { id: 'a', jobId: 'j1' },
        { id: 'b', jobId: 'j2' }
      ],
      at: 0
    })
    expect(state.running).toEqual(['a', 'b'])
    expect(nextGroup(state, 4)).toEqual([])
    state = reduce(state, { type: 'job-event', id: 'b', jobId: 'j2', event: done('B'), at: 1 })
    expect(state.running).toEqual(['a'])
    expect(nextGroup(state, 4)).toEqual([])
    state = reduce(state, { type: 'job-event', id: 'a', jobId: 'j1', event: done('A'), at: 2 })
    expect(nextGroup(state, 4)).toEqual(['c'])
    expect(state.batch).toMatchObject({ total: 3, finished: 2 })
  })
})

describe('queue controller with a batch size', () => {
  it('tells which images ended without a caption, and whether the image itself was at fault', () => {
    const { queue, calls, captions, settled } = controller(4)
    queue.add(['a', 'b', 'c', 'd'].map(image), 'P')
    const [a, b, c, d] = calls[0]!.jobs
    a!.emit(done('a caption'))
    b!.emit({ type: 'error', error: { code: 'bad-image', message: 'b.png is damaged.' } })
    c!.emit(done('', true))
    d!.emit({ type: 'error', error: { code: 'internal', message: 'The worker stopped.' } })
    expect(captions).toEqual(['a:a caption'])
    expect(settled).toEqual(['b:failed', 'c:not-done', 'd:not-done'])
  })

  it('sends up to batchSize images with one prompt as one describeBatch, each card streaming its own job', () => {
    const { queue, calls, captions, status } = controller(3)
    queue.add(['a', 'b', 'c', 'd', 'e'].map(image), 'Tags.')
    expect(calls.map((c) => [c.method, c.jobs.flatMap((j) => j.images)])).toEqual([
      ['describeBatch', ['a', 'b', 'c']]
    ])
    expect(calls[0]!.jobs[0]!.prompt).toBe('Tags.')
    const [a, b, c] = calls[0]!.jobs
    b!.emit({ type: 'token', id: 1, text: 'Bee' })
    a!.emit({ type: 'token', id: 2, text: 'Ant' })
    expect(queue.getState().items['a']?.text).toBe('Ant')
    expect(queue.getState().items['b']?.text).toBe('Bee')
    b!.emit(done('Bee'))
    expect(status('a', 'b', 'c')).toEqual(['describing', 'done', 'describing'])
    expect(calls).toHaveLength(1)
    a!.emit(done('Ant'))
    c!.emit(done('Cat'))
    expect(captions).toEqual(['b:Bee', 'a:Ant', 'c:Cat'])
    expect(calls.map((call) => [call.method, call.jobs.flatMap((j) => j.images)])).toEqual([
      ['describeBatch', ['a', 'b', 'c']],
      ['describeBatch', ['d', 'e']]
    ])
  })

  it('stops one card of a group alone; stopCurrent stops every card of it', () => {
    const { queue, calls, status } = controller(3)
    queue.add(['a', 'b', 'c', 'd'].map(image), 'P')
    const [a, b, c] = calls[0]!.jobs
    queue.stop('b')
    expect([a!.cancelled, b!.cancelled, c!.cancelled]).toEqual([false, true, false])
    b!.emit(done('', true))
    expect(status('a', 'b', 'c')).toEqual(['describing', 'stopped', 'describing'])
    expect(queue.stopCurrent()).toBe(true)
    expect([a!.cancelled, c!.cancelled]).toEqual([true, true])
    a!.emit(done('', true))
    c!.emit(done('', true))
    // The batch goes on with the next image.
    expect(calls[1]!.jobs.flatMap((j) => j.images)).toEqual(['d'])
    expect(calls[1]!.method).toBe('describe')
  })

  it('cancelAll empties the queue and stops the whole running group', () => {
    const { queue, calls, status } = controller(2)
    queue.add(['a', 'b', 'c'].map(image), 'P')
    queue.cancelAll()
    expect(calls[0]!.jobs.every((job) => job.cancelled)).toBe(true)
    for (const job of calls[0]!.jobs) job.emit(done('', true))
    expect(calls).toHaveLength(1)
    expect(status('a', 'b', 'c')).toEqual(['stopped', 'stopped', 'idle'])
  })

  it('pause lets the running group finish and starts nothing more until resumed', () => {
    const { queue, calls } = controller(2)
    queue.add(['a', 'b', 'c'].map(image), 'P')
    queue.pause()
    for (const job of calls[0]!.jobs) job.emit(done('x'))
    expect(calls).toHaveLength(1)
    queue.resume()
    expect(calls[1]!.jobs.flatMap((j) => j.images)).toEqual(['c'])
  })

  it('sends images one at a time with batch size 1, and groups from the next job on when it grows', () => {
    const { queue, calls } = controller(1)
    queue.add(['a', 'b', 'c'].map(image), 'P')
    expect(calls.map((c) => c.method)).toEqual(['describe'])
    queue.setBatchSize(4)
    expect(calls).toHaveLength(1)
    calls[0]!.jobs[0]!.emit(done('A'))
    expect(calls.map((c) => [c.method, c.jobs.flatMap((j) => j.images)])).toEqual([
      ['describe', ['a']],
      ['describeBatch', ['b', 'c']]
    ])
  })

  it('fails every card of a group the API refuses at once, and goes on', () => {
    const api: Pick<SmolvlmApi, 'describe' | 'describeBatch'> = {
      describe: () => {
        throw new Error('describe refused')
      },
      describeBatch: () => {
        throw new Error('The app is closing.')
      }
    }
    const queue = new QueueController(api, { clock: () => 0, nextFrame: (cb) => cb(), batchSize: 2 })
    queue.add(['a', 'b', 'c'].map(image), 'P')
    const items = queue.getState().items
    expect(['a', 'b', 'c'].map((id) => items[id]?.status)).toEqual(['error', 'error', 'error'])
    expect(items['a']?.error?.message).toBe('The app is closing.')
    expect(items['c']?.error?.message).toBe('describe refused')
    expect(queue.getState().running).toEqual([])
  })
})

import { describe, expect, it } from 'vitest'
import type { ImageRef, JobEvent } from '../../src/shared/api.ts'
import { ZERO_STATS } from '../../src/shared/jobs.ts'
import type { QueueAction, QueueState } from '../../src/renderer/src/state/queue.ts'
import {
  batchProgress,
  EMPTY_QUEUE,
  nextToRun,
  reduceQueue,
  statusCounts,
  undescribedIds
} from '../../src/renderer/src/state/queue.ts'

const image = (id: string, hasPath = true): ImageRef => ({ id, name: `${id}.png`, hasPath })
const run = (actions: QueueAction[], state: QueueState = EMPTY_QUEUE): QueueState =>
  actions.reduce(reduceQueue, state)
const done = (text: string, cancelled = false): JobEvent => ({
  type: 'done',
  text,
  tokenIds: [],
  stoppedBy: cancelled ? 'cancelled' : 'eos',
  cancelled,
  stats: { ...ZERO_STATS, generatedTokens: 3 }
})
const token = (text: string): JobEvent => ({ type: 'token', id: 1, text })
const add = (ids: string[], prompt: string | null = 'Describe.', at = 0): QueueAction => ({
  type: 'add',
  images: ids.map((id) => image(id)),
  prompt,
  at
})

describe('queue reducer: adding images', () => {
  it('appends new images as queued cards in drop order and selects the first', () => {
    const state = run([add(['a', 'b'])])
    expect(state.order).toEqual(['a', 'b'])
    expect(state.pending).toEqual(['a', 'b'])
    expect(state.items['a']).toMatchObject({ status: 'queued', queuedPrompt: 'Describe.' })
    expect(state.selectedId).toBe('a')
  })

  it('ignores an image that is already on the list (the host hands out one id per file)', () => {
    const state = run([add(['a']), add(['a', 'b'])])
    expect(state.order).toEqual(['a', 'b'])
    expect(state.batch?.total).toBe(2)
  })

  it('keeps images idle when added without a prompt', () => {
    const state = run([add(['a'], null)])
    expect(state.items['a']?.status).toBe('idle')
    expect(state.pending).toEqual([])
    expect(state.batch).toBeNull()
  })
})

describe('queue reducer: one job at a time', () => {
  it('runs the first pending image, then streams its tokens into the card', () => {
    let state = run([add(['a', 'b'])])
    expect(nextToRun(state)).toBe('a')
    state = run(
      [
        { type: 'start', id: 'a', jobId: 'j1', at: 1 },
        {
          type: 'job-event',
          id: 'a',
          jobId: 'j1',
          event: { type: 'progress', stage: 'vision', ms: 3 },
          at: 2
        },
        { type: 'job-event', id: 'a', jobId: 'j1', event: token(' A'), at: 3 },
        { type: 'job-event', id: 'a', jobId: 'j1', event: token(' cat'), at: 4 }
      ],
      state
    )
    expect(state.items['a']).toMatchObject({ status: 'describing', text: ' A cat', stage: 'generating' })
    expect(state.running).toEqual(['a'])
    expect(nextToRun(state)).toBeNull()
  })

  it('takes the final text from the done event and frees the slot for the next image', () => {
    const state = run([
      add(['a', 'b']),
      { type: 'start', id: 'a', jobId: 'j1', at: 1 },
      { type: 'job-event', id: 'a', jobId: 'j1', event: token('A ca'), at: 2 },
      { type: 'job-event', id: 'a', jobId: 'j1', event: done(' A cat. '), at: 3 }
    ])
    expect(state.items['a']).toMatchObject({
      status: 'done',
      text: ' A cat. ',
      stage: null,
      prompt: 'Describe.'
    })
    expect(state.running).toEqual([])
    expect(nextToRun(state)).toBe('b')
    expect(state.batch).toMatchObject({ total: 2, finished: 1 })
  })

  it('marks a cancelled job stopped and keeps the partial caption', () => {
    const state = run([
      add(['a']),
      { type: 'start', id: 'a', jobId: 'j1', at: 1 },
      { type: 'job-event', id: 'a', jobId: 'j1', event: done('A ca', true), at: 2 }
    ])
    expect(state.items['a']).toMatchObject({ status: 'stopped', text: 'A ca' })
    expect(state.batch).toMatchObject({ total: 1, finished: 1, stopped: 1, endedAt: 2 })
  })

  it('shows an error event as an error card with the human message and goes on', () => {
    const state = run([
      add(['bad', 'b']),
      { type: 'start', id: 'bad', jobId: 'j1', at: 1 },
      {
        type: 'job-event',
        id: 'bad',
        jobId: 'j1',
        event: { type: 'error', error: { code: 'bad-image', message: 'bad.png could not be read.' } },
        at: 2
      }
    ])
    expect(state.items['bad']).toMatchObject({
      status: 'error',
      error: { code: 'bad-image', message: 'bad.png could not be read.' }
    })
    expect(nextToRun(state)).toBe('b')
    expect(state.batch).toMatchObject({ finished: 1, failed: 1 })
  })

  it('ignores events of an earlier job of the same card', () => {
    const state = run([
      add(['a']),
      { type: 'start', id: 'a', jobId: 'j1', at: 1 },
      { type: 'job-event', id: 'a', jobId: 'old', event: token('stale'), at: 2 }
    ])
    expect(state.items['a']?.text).toBe('')
  })
})

describe('queue reducer: pause, priority, stop and cancel', () => {
  it('starts nothing from the batch while paused, but runs an image asked for by itself', () => {
    let state = run([{ type: 'pause', at: 0 }, add(['a', 'b'])])
    expect(nextToRun(state)).toBeNull()
    state = run([{ type: 'enqueue', ids: ['c'], prompt: 'Tags.', priority: true, at: 1 }], {
      ...state,
      items: { ...state.items, c: { ...state.items['a']!, image: image('c'), status: 'idle' } },
      order: [...state.order, 'c']
    })
    expect(nextToRun(state)).toBe('c')
    state = run([{ type: 'resume', at: 2 }], state)
    expect(nextToRun(state)).toBe('c')
  })

  it('takes a queued image off the queue and restores what it was', () => {
    const state = run([
      add(['a']),
      { type: 'start', id: 'a', jobId: 'j1', at: 1 },
      { type: 'job-event', id: 'a', jobId: 'j1', event: done('A cat.'), at: 2 },
      { type: 'enqueue', ids: ['a'], prompt: 'Tags.', priority: true, at: 3 },
      { type: 'unqueue', ids: ['a'], at: 4 }
    ])
    expect(state.items['a']).toMatchObject({ status: 'done', text: 'A cat.', queuedPrompt: null })
    expect(state.priority).toEqual([])
  })

  it('cancelling the queue ends the batch with what finished', () => {
    const state = run([
      add(['a', 'b', 'c']),
      { type: 'start', id: 'a', jobId: 'j1', at: 0 },
      { type: 'job-event', id: 'a', jobId: 'j1', event: done('A.'), at: 10 },
      { type: 'unqueue', ids: ['b', 'c'], at: 11 }
    ])
    expect(state.items['b']?.status).toBe('idle')
    expect(state.batch).toMatchObject({ total: 1, finished: 1, endedAt: 11 })
    expect(nextToRun(state)).toBeNull()
  })

  it('removes cards, moves the selection to the next one and forgets their jobs', () => {
    const state = run([
      add(['a', 'b', 'c']),
      { type: 'start', id: 'a', jobId: 'j1', at: 0 },
      { type: 'select', id: 'b' },
      { type: 'remove', ids: ['a', 'b'], at: 1 }
    ])
    expect(state.order).toEqual(['c'])
    expect(state.selectedId).toBe('c')
    expect(state.running).toEqual([])
    expect(nextToRun(state)).toBe('c')
    expect(state.batch?.total).toBe(1)
  })
})

describe('queue reducer: selection', () => {
  it('moves with the arrow keys and stops at the ends', () => {
    let state = run([add(['a', 'b', 'c'], null)])
    state = run([{ type: 'move-selection', by: 1 }], state)
    expect(state.selectedId).toBe('b')
    state = run([{ type: 'move-selection', by: 5 }], state)
    expect(state.selectedId).toBe('c')
    state = run([{ type: 'select-edge', edge: 'first' }], state)
    expect(state.selectedId).toBe('a')
    state = run([{ type: 'move-selection', by: -1 }], state)
    expect(state.selectedId).toBe('a')
  })
})

describe('queue reducer: follow-up questions', () => {
  it('streams the answer of a follow-up into its own turn', () => {
    const state = run([
      add(['a'], null),
      { type: 'ask', id: 'a', followUpId: 'f1', question: 'What colour?' },
      { type: 'follow-up-start', id: 'a', followUpId: 'f1', jobId: 'j9' },
      { type: 'follow-up-event', id: 'a', followUpId: 'f1', jobId: 'j9', event: token('Re') },
      { type: 'follow-up-event', id: 'a', followUpId: 'f1', jobId: 'j9', event: done(' Red. ') }
    ])
    expect(state.items['a']?.followUps).toEqual([
      { id: 'f1', question: 'What colour?', answer: ' Red. ', status: 'done', error: null, jobId: 'j9' }
    ])
  })
})

describe('batch progress', () => {
  it('reports done / total, images per minute of running time and the time left', () => {
    const state = run([
      add(['a', 'b', 'c', 'd'], 'Describe.', 0),
      { type: 'start', id: 'a', jobId: 'j1', at: 0 },
      { type: 'job-event', id: 'a', jobId: 'j1', event: done('A.'), at: 15_000 },
      { type: 'start', id: 'b', jobId: 'j2', at: 15_000 },
      { type: 'job-event', id: 'b', jobId: 'j2', event: done('B.'), at: 30_000 }
    ])
    expect(batchProgress(state.batch!, 30_000)).toEqual({
      total: 4,
      finished: 2,
      failed: 0,
      stopped: 0,
      remaining: 2,
      perMinute: 4,
      etaMs: 30_000,
      elapsedMs: 30_000,
      ended: false
    })
  })

  it('does not count paused time', () => {
    const state = run([
      add(['a', 'b'], 'Describe.', 0),
      { type: 'start', id: 'a', jobId: 'j1', at: 0 },
      { type: 'job-event', id: 'a', jobId: 'j1', event: done('A.'), at: 20_000 },
      { type: 'pause', at: 20_000 }
    ])
    expect(batchProgress(state.batch!, 600_000)).toMatchObject({ elapsedMs: 20_000, perMinute: 3 })
  })

  it('counts statuses and lists the images without a finished caption', () => {
    const state = run([
      add(['a', 'b', 'c'], null),
      { type: 'enqueue', ids: ['a'], prompt: 'x', priority: false, at: 0 },
      { type: 'start', id: 'a', jobId: 'j1', at: 0 },
      { type: 'job-event', id: 'a', jobId: 'j1', event: done('A.'), at: 1 }
    ])
    expect(statusCounts(state)).toMatchObject({ done: 1, idle: 2 })
    expect(undescribedIds(state)).toEqual(['b', 'c'])
  })
})

import { describe, expect, it } from 'vitest'
import type { ImageRef } from '../../src/shared/api.ts'
import type { QueueAction, QueueState } from '../../src/renderer/src/state/queue.ts'
import { EMPTY_QUEUE, reduceQueue } from '../../src/renderer/src/state/queue.ts'
import { finishedItems, sidecarItems } from '../../src/renderer/src/state/results.ts'
import { DEFAULT_KEYWORD_OPTIONS } from '../../src/shared/keywords.ts'

const image = (id: string): ImageRef => ({ id, name: `${id}.png`, hasPath: true })
const run = (actions: QueueAction[], state: QueueState = EMPTY_QUEUE): QueueState =>
  actions.reduce(reduceQueue, state)
const kept = (id: string, text: string): QueueAction => ({
  type: 'add-kept',
  image: image(id),
  text,
  prompt: 'Describe.'
})

describe('a kept caption put back on the list (search › Add to the list)', () => {
  it('adds the image as done with its caption and prompt, selected, ready to save again', () => {
    const state = run([kept('kite', 'A red kite.')])
    expect(state.order).toEqual(['kite'])
    expect(state.selectedId).toBe('kite')
    expect(state.items['kite']).toMatchObject({ status: 'done', text: 'A red kite.', prompt: 'Describe.' })
    expect(sidecarItems(finishedItems(state), DEFAULT_KEYWORD_OPTIONS)).toEqual([
      { imageId: 'kite', text: 'A red kite.', keywords: null }
    ])
  })

  it('replaces the caption of an image already on the list, without adding it twice', () => {
    const state = run([
      { type: 'add', images: [image('kite')], prompt: null, at: 0 },
      kept('kite', 'A red kite.')
    ])
    expect(state.order).toEqual(['kite'])
    expect(state.items['kite']?.text).toBe('A red kite.')
  })

  it('leaves an image alone while its caption is being written', () => {
    const queued = run([{ type: 'add', images: [image('kite')], prompt: 'Describe.', at: 0 }])
    expect(queued.items['kite']?.status).toBe('queued')
    expect(reduceQueue(queued, kept('kite', 'An old caption.'))).toBe(queued)
  })
})

/**
 * Keyword mode in the window's state, without a browser: which cards are keyword cards, and what the Save dialog
 * hands to the host for them (caption files get tags, metadata gets keywords, tables get the list).
 */
import { describe, expect, it } from 'vitest'
import { itemKeywords } from '../../src/renderer/src/state/keywords.ts'
import type { QueueItem } from '../../src/renderer/src/state/queue.ts'
import { newItem } from '../../src/renderer/src/state/queue.ts'
import { exportRows, metadataText, sidecarItems, sidecarText } from '../../src/renderer/src/state/results.ts'
import type { KeywordOptions } from '../../src/shared/keywords.ts'
import { KEYWORD_PROMPT } from '../../src/shared/keywords.ts'

const OPTIONS: KeywordOptions = {
  maxCount: 25,
  lowercase: true,
  exclude: ['image'],
  include: ['ohwx'],
  underscores: true
}

const item = (id: string, prompt: string, text: string, status: QueueItem['status'] = 'done'): QueueItem => ({
  ...newItem({ id, name: `${id}.png`, hasPath: true }),
  status,
  prompt,
  text
})

const tagged = item('a', KEYWORD_PROMPT, ' The image shows a Golden Retriever, a red ball and grass. ')
const described = item('b', 'Can you describe this image?', 'A dog, a ball.')

describe('keyword cards', () => {
  it('gives the keywords of a caption that answers the keyword prompt, under the options', () => {
    expect(itemKeywords(tagged, OPTIONS)).toEqual(['ohwx', 'golden retriever', 'red ball', 'grass'])
  })

  it('gives null for any other prompt, so the caption shows as text', () => {
    expect(itemKeywords(described, OPTIONS)).toBeNull()
  })

  it('gives null while the answer is still being written or failed', () => {
    expect(itemKeywords({ ...tagged, status: 'describing' }, OPTIONS)).toBeNull()
    expect(itemKeywords({ ...tagged, status: 'error' }, OPTIONS)).toBeNull()
  })
})

describe('saving keyword captions', () => {
  const [a, b] = sidecarItems([tagged, described], OPTIONS)

  it('writes tags into caption files: trigger word first, underscores as set', () => {
    expect(sidecarText(a!, OPTIONS, 'sks')).toEqual({
      imageId: 'a',
      text: 'sks, ohwx, golden_retriever, red_ball, grass'
    })
    expect(sidecarText(a!, { ...OPTIONS, underscores: false }, '')).toEqual({
      imageId: 'a',
      text: 'ohwx, golden retriever, red ball, grass'
    })
  })

  it('does not repeat a trigger word that is also a keyword', () => {
    expect(sidecarText(a!, OPTIONS, 'OHWX').text).toBe('OHWX, golden_retriever, red_ball, grass')
  })

  it('leaves other captions as they are (the host puts the trigger word first)', () => {
    expect(sidecarText(b!, OPTIONS, 'sks')).toEqual({ imageId: 'b', text: 'A dog, a ball.' })
  })

  it('gives metadata the keywords with spaces, one per comma', () => {
    expect(metadataText(a!)).toEqual({ imageId: 'a', text: 'ohwx, golden retriever, red ball, grass' })
    expect(metadataText(b!)).toEqual({ imageId: 'b', text: 'A dog, a ball.' })
  })

  it('gives the tables the list beside the raw answer', () => {
    const rows = exportRows([tagged, described], { modelId: 'm', status: null, keywords: OPTIONS })
    expect(rows[0]).toMatchObject({
      text: 'The image shows a Golden Retriever, a red ball and grass.',
      keywords: ['ohwx', 'golden retriever', 'red ball', 'grass']
    })
    expect(rows[1]).not.toHaveProperty('keywords')
  })
})

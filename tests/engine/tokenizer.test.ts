import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { readModelConfig } from '../../src/engine/model-files.ts'
import { TextStreamDecoder, TextTokenizer } from '../../src/engine/tokenizer.ts'
import { FIXTURES, modelDir } from '../support/reference.ts'

const config = await readModelConfig(modelDir('tiny-gqa'))
const tokenizer = new TextTokenizer(config.tokenizerJson, config.tokenizerConfig)
const reference: { cases: { text: string; ids: number[]; decoded: string; decoded_skip_special: string }[] } =
  JSON.parse(readFileSync(`${FIXTURES}reference/tokenizer-cases.json`, 'utf8'))

describe('TextTokenizer against the Python tokenizers library (tokenizer.json)', () => {
  it.each(reference.cases.map((c) => [JSON.stringify(c.text).slice(0, 40), c] as const))(
    'encodes %s',
    (_, c) => {
      expect(tokenizer.encode(c.text)).toEqual(c.ids)
    }
  )

  it.each(reference.cases.map((c) => [JSON.stringify(c.text).slice(0, 40), c] as const))(
    'decodes %s',
    (_, c) => {
      expect(tokenizer.decode(c.ids, false)).toBe(c.decoded)
      expect(tokenizer.decode(c.ids, true)).toBe(c.decoded_skip_special)
    }
  )

  it('looks special token ids up by name from the model folder', () => {
    expect(tokenizer.tokenId('<end_of_utterance>')).toBe(49279)
    expect(tokenizer.tokenId('<image>')).toBe(49190)
  })
})

describe('TextStreamDecoder', () => {
  const streamed = (ids: number[]) => {
    const stream = new TextStreamDecoder(tokenizer)
    const deltas = ids.map((id) => stream.push(id))
    deltas.push(stream.flush())
    return deltas
  }

  it('streams multi-byte text so that the deltas concatenate to the full decode', () => {
    const ids = tokenizer.encode(' The 東京 🎉 tower, naïve café 😀!')
    expect(streamed(ids).join('')).toBe('The 東京 🎉 tower, naïve café 😀!')
  })

  it('never emits part of a UTF-8 character', () => {
    const ids = tokenizer.encode('🎉東京😀')
    // The emoji take several byte-level tokens each: some pushes must print nothing.
    const deltas = streamed(ids)
    expect(deltas.some((d) => d === '')).toBe(true)
    for (const delta of deltas) expect(delta).not.toContain('\uFFFD')
    expect(deltas.filter((d) => d !== '')).toEqual(
      ['🎉', '東', '京', '😀'].filter((piece) => deltas.includes(piece))
    )
  })

  it('emits a token as soon as it is printable', () => {
    const ids = tokenizer.encode('a b c')
    expect(streamed(ids)).toEqual(['a', ' b', ' c', ''])
  })

  it('drops the leading space of an answer', () => {
    expect(streamed(tokenizer.encode(' The cat')).join('')).toBe('The cat')
  })

  it('flushes an unfinished character at the end', () => {
    const ids = tokenizer.encode('🎉')
    const stream = new TextStreamDecoder(tokenizer)
    expect(stream.push(ids[0])).toBe('')
    expect(stream.flush()).toBe(tokenizer.decode(ids.slice(0, 1)))
  })
})

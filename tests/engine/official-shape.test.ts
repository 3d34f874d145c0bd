import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SmolVLM } from '../../src/engine/smolvlm.ts'
import { collect } from '../support/collect.ts'
import { loadReference, modelDir, requestFor } from '../support/reference.ts'

/**
 * The official files' decoder shape (GroupQueryAttention owning the cache): the engine keeps the cache in buffers
 * sized for the whole generation — filled from the attention's own key/value inputs (separate q/k/v, the 256M and
 * 500M files), or shared as past and present (packed QKV, the 2.2B style) — and every path through it (fresh prompt,
 * follow-up turn continuing a kept cache, a cancel, the graph as shipped) gives the Python reference's ids.
 */
const EXPECTED_CACHE = {
  'tiny-gqa-genai': 'capacity',
  'tiny-mha-genai': 'capacity',
  'tiny-mha-genai-cpu': 'shared-buffer'
} as const

for (const [modelName, kvCache] of Object.entries(EXPECTED_CACHE)) {
  const reference = loadReference(modelName)
  const chat = reference.cases.find((c) => c.name === 'multi-turn')!
  const square = reference.cases.find((c) => c.name === 'describe-square')!

  describe(`${modelName}: cache kept as '${kvCache}'`, () => {
    let model: SmolVLM
    beforeAll(async () => {
      model = await SmolVLM.load(modelDir(modelName), { device: 'cpu' })
    })
    afterAll(() => model?.dispose())

    it('keeps the cache in whole-generation buffers and computes the last position only', () => {
      expect(model.info.kvCache).toBe(kvCache)
      expect(model.info.lastPositionLogits).toBe(true)
    })

    it('continues a follow-up turn from the kept cache (a prompt of several positions after a past)', async () => {
      model.clearCache()
      await collect(
        model.describe({ ...requestFor(chat), messages: chat.messages.slice(0, 1), reusePrefix: true })
      )
      const followUp = await collect(model.describe({ ...requestFor(chat), reusePrefix: true }))
      expect(followUp.done.stats.reusedTokens).toBeGreaterThan(chat.input_ids.length / 2)
      expect(followUp.done.tokenIds).toEqual(chat.generated_ids)
    })

    it('gives the same ids after a cancelled generation left its buffers half written', async () => {
      const controller = new AbortController()
      let tokens = 0
      for await (const event of model.describe(requestFor(square), { signal: controller.signal })) {
        if (event.type === 'token' && ++tokens === 5) controller.abort()
      }
      const { done } = await collect(model.describe(requestFor(square)))
      expect(done.tokenIds).toEqual(square.generated_ids)
    })

    it('generates the same ids with the graph as shipped (cache returned and fed back each step)', async () => {
      const shipped = await SmolVLM.load(modelDir(modelName), { device: 'cpu', rewriteDecoder: false })
      expect(shipped.info.kvCache).toBe('present')
      for (const c of [square, chat]) {
        const { done } = await collect(shipped.describe(requestFor(c)))
        expect(done.tokenIds).toEqual(c.generated_ids)
      }
      await shipped.dispose()
    })
  })
}

describe('tiny-gqa-genai fp16 (float32 I/O around a float16 graph)', () => {
  it('feeds the cache back as returned: Casts stand between the inputs and the attention, so no buffer is shared', async () => {
    const model = await SmolVLM.load(modelDir('tiny-gqa-genai'), { device: 'cpu', variant: 'fp16' })
    expect(model.info.kvCache).toBe('present')
    await model.dispose()
  })
})

import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { describeBatch } from '../../src/engine/describe-batch.ts'
import type { BatchEvent } from '../../src/engine/describe-batch.ts'
import type { DescribeEvent } from '../../src/engine/smolvlm.ts'
import { SmolVLM } from '../../src/engine/smolvlm.ts'
import { imagePath, loadReference, modelDir, requestFor } from '../support/reference.ts'

/**
 * Batched generation (several images' prompts decoded in one run per step) gives every image the tokens of
 * one-at-a-time generation: the Python reference's ids, on the official-shape fixtures.
 */
async function collectBatch(events: AsyncIterable<BatchEvent>) {
  const byIndex = new Map<number, DescribeEvent[]>()
  const errors = new Map<number, string>()
  for await (const item of events) {
    if ('error' in item) errors.set(item.index, item.error.code)
    else byIndex.set(item.index, [...(byIndex.get(item.index) ?? []), item.event])
  }
  const done = (index: number) => {
    const last = byIndex.get(index)?.at(-1)
    if (last?.type !== 'done') throw new Error(`request ${index} has no done event`)
    return last
  }
  return { byIndex, errors, done }
}

for (const modelName of ['tiny-gqa-genai', 'tiny-mha-genai']) {
  const reference = loadReference(modelName)
  // Prompts of equal length go together: these include two lengths (179 and 181 ids on tiny-gqa), an early eos
  // (exif-rotated on tiny-gqa) and a repetition penalty.
  const names = [
    'describe-wide',
    'describe-rgba',
    'describe-tall',
    'describe-exif-rotated',
    'repetition-penalty',
    'describe-square',
    'describe-cmyk'
  ]
  const cases = names.flatMap((name) => reference.cases.filter((c) => c.name === name))

  describe(`${modelName}: describeBatch`, () => {
    let model: SmolVLM
    beforeAll(async () => {
      model = await SmolVLM.load(modelDir(modelName), { device: 'cpu' })
    })
    afterAll(() => model?.dispose())

    it('decodes prompts of one length together and gives each image its reference ids', async () => {
      expect(model.canBatch).toBe(true)
      model.clearCache()
      const { done, byIndex, errors } = await collectBatch(
        describeBatch(model, cases.map(requestFor), { batchSize: 8 })
      )
      expect(errors.size).toBe(0)
      cases.forEach((c, i) => {
        expect(done(i).tokenIds, c.name).toEqual(c.generated_ids)
        const text = byIndex
          .get(i)!
          .flatMap((e) => (e.type === 'token' ? [e.text] : []))
          .join('')
        expect(text).toBe(done(i).text)
      })
      // Each request streamed its own started and vision progress before its tokens.
      expect(byIndex.get(0)![0]).toMatchObject({ type: 'started', inputTokens: cases[0].input_ids.length })
    })

    it('gives a broken image its own error while the rest of the batch is described', async () => {
      const requests = [
        requestFor(cases[0]),
        { ...requestFor(cases[0]), images: [imagePath('images/bad/truncated.png')] },
        requestFor(cases[1])
      ]
      const { done, errors } = await collectBatch(describeBatch(model, requests, { batchSize: 3 }))
      expect(errors.get(1)).toBe('bad-image')
      expect(done(0).tokenIds).toEqual(cases[0].generated_ids)
      expect(done(2).tokenIds).toEqual(cases[1].generated_ids)
    })

    it('reads and decodes the next chunk while this one is decoded, and a broken one there still fails alone', async () => {
      model.clearCache()
      const requests = [
        requestFor(cases[0]),
        requestFor(cases[1]),
        { ...requestFor(cases[0]), images: [imagePath('images/bad/truncated.png')] },
        requestFor(cases[2])
      ]
      const order: string[] = []
      const prepare = model.prepare.bind(model)
      const spy = vi.spyOn(model, 'prepare').mockImplementation((request, options) => {
        order.push(`prepare ${requests.indexOf(request as (typeof requests)[number])}`)
        return prepare(request, options)
      })
      try {
        const byIndex = new Map<number, BatchEvent[]>()
        for await (const item of describeBatch(model, requests, { batchSize: 2 })) {
          byIndex.set(item.index, [...(byIndex.get(item.index) ?? []), item])
          if ('event' in item && item.event.type === 'token' && !order.includes(`token ${item.index}`))
            order.push(`token ${item.index}`)
        }
        // Requests 2 and 3 were being prepared before the first chunk's first token reached the caller.
        expect(order.slice(0, 5)).toEqual(['prepare 0', 'prepare 1', 'prepare 2', 'prepare 3', 'token 0'])
        expect(byIndex.get(2)!.at(-1)).toMatchObject({ error: { code: 'bad-image' } })
        for (const [i, c] of [
          [0, cases[0]],
          [1, cases[1]],
          [3, cases[2]]
        ] as const)
          expect(byIndex.get(i)!.at(-1)).toMatchObject({ event: { type: 'done', tokenIds: c.generated_ids } })
      } finally {
        spy.mockRestore()
      }
    })

    it('fails a request with impossible options on its own, not its group', async () => {
      const requests = [
        requestFor(cases[0]),
        { ...requestFor(cases[0]), maxNewTokens: 0 },
        requestFor(cases[0])
      ]
      const { done, errors } = await collectBatch(describeBatch(model, requests, { batchSize: 3 }))
      expect(errors.get(1)).toBe('bad-request')
      expect(done(0).tokenIds).toEqual(cases[0].generated_ids)
      expect(done(2).tokenIds).toEqual(cases[0].generated_ids)
    })

    it('ends every request as cancelled when the batch is cancelled mid-decode', async () => {
      const controller = new AbortController()
      let tokens = 0
      const results = new Map<number, DescribeEvent>()
      for await (const item of describeBatch(model, cases.slice(0, 2).map(requestFor), {
        batchSize: 2,
        signal: controller.signal
      })) {
        if ('error' in item) throw item.error
        if (item.event.type === 'token' && ++tokens === 4) controller.abort()
        if (item.event.type === 'done') results.set(item.index, item.event)
      }
      expect([...results.values()].map((e) => e.type === 'done' && e.stoppedBy)).toEqual([
        'cancelled',
        'cancelled'
      ])
      // And the model is still usable.
      const again = await collectBatch(describeBatch(model, [requestFor(cases[0])]))
      expect(again.done(0).tokenIds).toEqual(cases[0].generated_ids)
    })

    it('ends only the request whose own signal is aborted; the others keep their reference ids', async () => {
      const stop = new AbortController()
      const requests = cases.slice(0, 3).map(requestFor)
      const results = new Map<number, DescribeEvent>()
      for await (const item of describeBatch(model, requests, {
        batchSize: 3,
        signals: [undefined, stop.signal, undefined]
      })) {
        if ('error' in item) throw item.error
        if (item.index === 1 && item.event.type === 'token') stop.abort()
        if (item.event.type === 'done') results.set(item.index, item.event)
      }
      const done = (i: number) => results.get(i) as Extract<DescribeEvent, { type: 'done' }>
      expect(done(1)).toMatchObject({ stoppedBy: 'cancelled', cancelled: true })
      expect(done(1).tokenIds.length).toBeLessThan(cases[1].generated_ids.length)
      expect(done(0).tokenIds).toEqual(cases[0].generated_ids)
      expect(done(2).tokenIds).toEqual(cases[2].generated_ids)
    })

    it('ends a request stopped before its turn as cancelled without running it', async () => {
      const stop = new AbortController()
      stop.abort()
      const { done, errors } = await collectBatch(
        describeBatch(model, cases.slice(0, 2).map(requestFor), { batchSize: 2, signals: [stop.signal] })
      )
      expect(errors.size).toBe(0)
      expect(done(0)).toMatchObject({ stoppedBy: 'cancelled', tokenIds: [] })
      expect(done(1).tokenIds).toEqual(cases[1].generated_ids)
    })
  })
}

describe('tiny-gqa-genai q4 and fp16: describeBatch', () => {
  // Batched MatMulNBits (4-bit) rows must give what one sequence at a time gives (onnxruntime-python's ids); the fp16
  // file (Casts around a float16 attention) cannot batch and describes one image after another, with the same ids.
  const reference = loadReference('tiny-gqa-genai')
  const cases = reference.cases.filter((c) =>
    ['describe-wide', 'describe-gray', 'describe-rgba', 'describe-palette'].includes(c.name)
  )
  for (const variant of ['q4', 'fp16'] as const) {
    it(`${variant}: each image gets its sequential ids`, async () => {
      const model = await SmolVLM.load(modelDir('tiny-gqa-genai'), { device: 'cpu', variant })
      expect(model.canBatch).toBe(variant === 'q4')
      const { done } = await collectBatch(describeBatch(model, cases.map(requestFor), { batchSize: 4 }))
      cases.forEach((c, i) => expect(done(i).tokenIds, c.name).toEqual(c.onnx_generated_ids[variant]))
      await model.dispose()
    })
  }
})

describe('describeBatch on a decoder that cannot batch (a torch trace)', () => {
  it('describes each image on its own, with the same ids', async () => {
    const reference = loadReference('tiny-gqa')
    const cases = reference.cases.filter((c) => ['describe-wide', 'describe-gray'].includes(c.name))
    const model = await SmolVLM.load(modelDir('tiny-gqa'), { device: 'cpu' })
    expect(model.canBatch).toBe(false)
    const { done } = await collectBatch(describeBatch(model, cases.map(requestFor), { batchSize: 4 }))
    cases.forEach((c, i) => expect(done(i).tokenIds).toEqual(c.generated_ids))
    await model.dispose()
  })
})

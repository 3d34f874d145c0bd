import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SmolvlmError } from '../../src/engine/errors.ts'
import { SmolVLM } from '../../src/engine/smolvlm.ts'
import { collect } from '../support/collect.ts'
import { imagePath, loadReference, modelDir, requestFor } from '../support/reference.ts'

const reference = loadReference('tiny-gqa')
const square = reference.cases.find((c) => c.name === 'describe-square')!

async function expectError(promise: Promise<unknown>, code: string, message: RegExp) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e
  )
  expect(error).toBeInstanceOf(SmolvlmError)
  expect((error as SmolvlmError).code).toBe(code)
  expect((error as SmolvlmError).message).toMatch(message)
}

describe('SmolVLM', () => {
  let model: SmolVLM
  beforeAll(async () => {
    model = await SmolVLM.load(modelDir('tiny-gqa'), { device: 'cpu' })
  })
  afterAll(() => model?.dispose())

  it('streams started, progress per stage, tokens, then done with stats', async () => {
    const { events, done, text } = await collect(model.describe(requestFor(square)))
    expect(events[0]).toMatchObject({ type: 'started', inputTokens: square.input_ids.length, tiles: 17 })
    const progress = events.flatMap((e) => (e.type === 'progress' ? [e] : []))
    expect(progress.filter((e) => e.done === e.total).map((e) => e.stage)).toEqual([
      'preprocess',
      'vision',
      'prefill'
    ])
    expect(progress.filter((e) => e.stage === 'vision').map((e) => `${e.done}/${e.total}`)).toEqual(
      Array.from({ length: 17 }, (_, i) => `${i + 1}/17`)
    )
    expect(events.filter((e) => e.type === 'token')).toHaveLength(square.generated_ids.length)
    expect(text).toBe(square.generated_text_skip_special.trimStart())
    expect(done.stats).toMatchObject({ generatedTokens: 24, tiles: 17, inputTokens: square.input_ids.length })
    expect(done.stats.ortMs).toBeGreaterThan(0)
    expect(done.stats.ortMs).toBeLessThanOrEqual(done.stats.totalMs)
  })

  it('stops within one step when aborted and stays usable', async () => {
    const controller = new AbortController()
    const events = []
    for await (const event of model.describe(requestFor(square), { signal: controller.signal })) {
      events.push(event)
      if (event.type === 'token' && events.filter((e) => e.type === 'token').length === 3) controller.abort()
    }
    const done = events.at(-1)
    expect(done).toMatchObject({ type: 'done', cancelled: true, stoppedBy: 'cancelled' })
    expect(done?.type === 'done' && done.tokenIds).toEqual(square.generated_ids.slice(0, 3))
    const again = await collect(model.describe(requestFor(square)))
    expect(again.done.tokenIds).toEqual(square.generated_ids)
  })

  it('stops between vision frames when aborted there', async () => {
    model.clearCache()
    const controller = new AbortController()
    const events = []
    for await (const event of model.describe(requestFor(square), { signal: controller.signal })) {
      events.push(event)
      if (event.type === 'progress' && event.stage === 'vision' && event.done === 3) controller.abort()
    }
    expect(events.filter((e) => e.type === 'progress' && e.stage === 'vision')).toHaveLength(3)
    expect(events.at(-1)).toMatchObject({ type: 'done', cancelled: true, tokenIds: [] })
    const again = await collect(model.describe(requestFor(square)))
    expect(again.done.tokenIds).toEqual(square.generated_ids)
  })

  it('ends with no tokens when aborted before it starts', async () => {
    const controller = new AbortController()
    controller.abort()
    const { done, text } = await collect(model.describe(requestFor(square), { signal: controller.signal }))
    expect(done.tokenIds).toEqual([])
    expect(done.cancelled).toBe(true)
    expect(text).toBe('')
  })

  it('generates exactly maxNewTokens when told to ignore end-of-utterance (benchmarks)', async () => {
    const { done } = await collect(
      model.describe({ ...requestFor(square), maxNewTokens: 5, ignoreEos: true })
    )
    expect(done.tokenIds).toHaveLength(5)
    expect(done.stoppedBy).toBe('max-tokens')
  })

  it('rejects a corrupt image with bad-image naming the file', async () => {
    await expectError(
      model.prepare({ images: [imagePath('images/bad/truncated.png')] }),
      'bad-image',
      /truncated\.png/
    )
  })

  it('rejects a chat whose image parts do not match the images', async () => {
    await expectError(
      model.prepare({ ...requestFor(square), images: [] }),
      'bad-request',
      /1 image parts but 0/
    )
  })

  it('refuses, before running anything, a prompt longer than the context the model was trained for', async () => {
    // 1,025 tiles of 64 px: far past the 8,192 positions (this request once took 24 GB in the prefill).
    const huge = collect(
      model.describe({ images: [imagePath('images/square.png')], longestEdge: 2048, maxNewTokens: 4 })
    )
    await expectError(
      huge,
      'bad-request',
      /[\d,]+ tokens long with its 1,025 image tiles; the model reads at most 8,192\. Use a smaller "longest edge"/
    )
    await expectError(
      collect(model.describe({ prompt: 'word '.repeat(9000), maxNewTokens: 4 })),
      'bad-request',
      /at most 8,192\. Shorten the conversation/
    )
    const { done } = await collect(model.describe({ ...requestFor(square) }))
    expect(done.tokenIds).toEqual(square.generated_ids)
  })

  it('describes encoded bytes as it describes the file', async () => {
    const bytes = new Uint8Array(await readFile(imagePath(square.images[0])))
    const { done } = await collect(
      model.describe({ ...requestFor(square), images: [{ name: 'paste.png', bytes }] })
    )
    expect(done.tokenIds).toEqual(square.generated_ids)
  })

  it('reuses the image features for a second question about the same image', async () => {
    model.clearCache()
    const first = await collect(model.describe(requestFor(square)))
    const followUp = await collect(
      model.describe({ ...requestFor(square), messages: undefined, prompt: 'And?' })
    )
    expect(first.events.some((e) => e.type === 'progress' && e.stage === 'vision')).toBe(true)
    expect(followUp.events.some((e) => e.type === 'progress' && e.stage === 'vision')).toBe(false)
    expect(followUp.done.stats.visionMs).toBe(0)
    expect(followUp.done.stats.tiles).toBe(17)
    const fresh = await SmolVLM.load(modelDir('tiny-gqa'), { device: 'cpu' })
    const uncached = await collect(
      fresh.describe({ ...requestFor(square), messages: undefined, prompt: 'And?' })
    )
    await fresh.dispose()
    expect(followUp.done.tokenIds).toEqual(uncached.done.tokenIds)
  })

  it('continues a follow-up turn from the kept cache without re-encoding the image', async () => {
    const chat = reference.cases.find((c) => c.name === 'multi-turn')!
    model.clearCache()
    const firstTurn = { ...requestFor(chat), messages: chat.messages.slice(0, 1), reusePrefix: true }
    await collect(model.describe(firstTurn))
    const followUp = await collect(model.describe({ ...requestFor(chat), reusePrefix: true }))
    // The first turn's prompt (image tokens included) is shared; the assistant's words are new text.
    expect(followUp.done.stats.reusedTokens).toBeGreaterThan(chat.input_ids.length / 2)
    expect(followUp.events.some((e) => e.type === 'progress' && e.stage === 'vision')).toBe(false)
    expect(followUp.done.tokenIds).toEqual(chat.generated_ids)
  })

  it('samples reproducibly with a seed', async () => {
    const request = {
      ...requestFor(square),
      sampling: { kind: 'sample' as const, temperature: 1, topK: 50, seed: 11 }
    }
    const first = await collect(model.describe(request))
    const second = await collect(model.describe(request))
    expect(first.done.tokenIds).toEqual(second.done.tokenIds)
  })
})

describe('loading', () => {
  let broken: string
  beforeAll(async () => {
    broken = await mkdtemp(join(tmpdir(), 'smolvlm-model-'))
  })
  afterAll(() => rm(broken, { recursive: true, force: true }))

  const copyModel = async (name: string) => {
    const dir = join(broken, name)
    await cp(modelDir('tiny-gqa'), dir, { recursive: true })
    return dir
  }

  it('names a missing model folder', async () => {
    await expectError(SmolVLM.load(join(broken, 'nowhere')), 'model-missing', /nowhere does not exist/)
  })

  it('names the missing ONNX file of the requested variant', async () => {
    const dir = await copyModel('no-decoder')
    await rm(join(dir, 'onnx/decoder_model_merged_q4.onnx'))
    await expectError(
      SmolVLM.load(dir, { variant: 'q4' }),
      'model-missing',
      /onnx\/decoder_model_merged_q4\.onnx/
    )
  })

  it('loads a precision word with the vision encoder it lacks replaced by the uint8 one, and says so', async () => {
    const dir = await copyModel('cpu-download')
    // The CPU download: q4 decoder and embeddings, uint8 vision encoder (store/catalog.ts CPU_CHOICE).
    await rm(join(dir, 'onnx/vision_encoder_q4.onnx'))
    const model = await SmolVLM.load(dir, { variant: 'q4', device: 'cpu' })
    try {
      expect(Object.fromEntries(model.info.sessions.map((s) => [s.session, s.variant]))).toEqual({
        vision_encoder: 'uint8',
        embed_tokens: 'q4',
        decoder_model_merged: 'q4'
      })
      const { done } = await collect(model.describe({ ...requestFor(square), maxNewTokens: 3 }))
      expect(done.tokenIds).toHaveLength(3)
    } finally {
      model.dispose()
    }
    // The decoder and the embeddings decide the tokens: they are never replaced.
    await rm(join(dir, 'onnx/embed_tokens_q4.onnx'))
    await expectError(SmolVLM.load(dir, { variant: 'q4' }), 'model-missing', /onnx\/embed_tokens_q4\.onnx/)
  })

  it('refuses a longest edge below the tile size with the size to use, for the CLI and the app alike', async () => {
    const model = await SmolVLM.load(modelDir('tiny-gqa'), { device: 'cpu' })
    try {
      const request = { images: [imagePath('images/square.png')], maxNewTokens: 2 }
      await expectError(
        collect(model.describe({ ...request, longestEdge: 63 })),
        'bad-request',
        /longest edge of 63 px is below this model's tile size of 64 px: use 64 or more/
      )
      const { done } = await collect(model.describe({ ...request, longestEdge: 64 }))
      expect(done.tokenIds).toHaveLength(2)
    } finally {
      model.dispose()
    }
  })

  it('names a config file that is not JSON', async () => {
    const dir = await copyModel('bad-config')
    await writeFile(join(dir, 'config.json'), '{ not json')
    await expectError(SmolVLM.load(dir), 'model-corrupt', /config\.json/)
  })

  it('reports an ONNX file that onnxruntime cannot load', async () => {
    const dir = await copyModel('bad-onnx')
    await writeFile(join(dir, 'onnx/embed_tokens.onnx'), 'garbage')
    await expectError(SmolVLM.load(dir, { device: 'cpu' }), 'model-corrupt', /embed_tokens\.onnx/)
  })

  it('keeps the decoder cache itself when the graph allows (each step returns only its own keys/values)', async () => {
    const model = await SmolVLM.load(modelDir('tiny-gqa'), { device: 'cpu' })
    expect(model.info.kvCache).toBe('appended')
    expect(model.info.lastPositionLogits).toBe(true)
    await model.dispose()
  })

  it('generates the same ids with the decoder graph exactly as shipped', async () => {
    const model = await SmolVLM.load(modelDir('tiny-gqa'), { device: 'cpu', rewriteDecoder: false })
    expect(model.info.kvCache).toBe('present')
    expect(model.info.lastPositionLogits).toBe(false)
    for (const name of ['describe-square', 'multi-turn', 'text-only', 'repetition-penalty']) {
      const c = reference.cases.find((r) => r.name === name)!
      const { done } = await collect(model.describe(requestFor(c)))
      expect(done.tokenIds).toEqual(c.generated_ids)
    }
    await model.dispose()
  })

  it('loads a different variant per session', async () => {
    const model = await SmolVLM.load(modelDir('tiny-gqa'), {
      device: 'cpu',
      variant: { vision_encoder: 'fp32', embed_tokens: 'uint8', decoder_model_merged: 'q4' }
    })
    expect(model.info.sessions.map((s) => `${s.session}:${s.variant}`)).toEqual([
      'vision_encoder:fp32',
      'embed_tokens:uint8',
      'decoder_model_merged:q4'
    ])
    await model.dispose()
  })

  it('refuses a device it was asked for by name when that device is unavailable, and says why', async () => {
    // No onnxruntime-node build for Linux has CoreML, so this is unavailable on every machine the tests run on.
    const error = await SmolVLM.load(modelDir('tiny-gqa'), { device: 'coreml' }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(SmolvlmError)
    expect((error as SmolvlmError).code).toBe('bad-request')
    expect((error as SmolvlmError).message).toMatch(
      /"coreml" was asked for but cannot be used on this machine/
    )
  })
})

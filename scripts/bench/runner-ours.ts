import { describeBatch } from '../../src/engine/describe-batch.ts'
import { SmolVLM } from '../../src/engine/smolvlm.ts'
import { parseVariantChoice } from './variant-choice.ts'
import { peakRssMb, rssMb } from './memory.ts'
import { serveRunner } from './runner-host.ts'

let model: SmolVLM | undefined

serveRunner({
  async init({ modelDir, variant, threads }) {
    const start = performance.now()
    model = await SmolVLM.load(modelDir, { variant: parseVariantChoice(variant), device: 'cpu', threads })
    return { loadMs: performance.now() - start, provider: model.info.provider, peakRssMb: peakRssMb() }
  },
  async run({ benchCase, prompt, newTokens }) {
    if (!model) throw new Error('not initialised')
    // Every run must pay for the vision encoder, as a first look at an image does.
    model.clearCache()
    let done
    for await (const event of model.describe({
      images: [benchCase.image],
      prompt,
      maxNewTokens: newTokens,
      ignoreEos: true,
      doImageSplitting: benchCase.split
    })) {
      if (event.type === 'done') done = event
    }
    if (!done) throw new Error('no done event')
    const s = done.stats
    return {
      tiles: s.tiles,
      promptTokens: s.inputTokens,
      generatedTokens: s.generatedTokens,
      preprocessMs: s.preprocessMs,
      visionMs: s.visionMs,
      prefillMs: s.prefillMs,
      ttftMs: s.ttftMs,
      decodeTokensPerSecond: s.tokensPerSecond,
      totalMs: s.totalMs,
      ortMs: s.ortMs,
      rssMb: rssMb(),
      peakRssMb: peakRssMb()
    }
  },
  async folder({ images, split, prompt, newTokens, batchSize }) {
    if (!model) throw new Error('not initialised')
    model.clearCache()
    const requests = images.map((image) => ({
      images: [image],
      prompt,
      maxNewTokens: newTokens,
      ignoreEos: true,
      doImageSplitting: split
    }))
    if (batchSize > 1) {
      for await (const item of describeBatch(model, requests, { batchSize })) {
        if ('error' in item) throw item.error
      }
      return
    }
    for (const request of requests) for await (const _event of model.describe(request));
  }
})

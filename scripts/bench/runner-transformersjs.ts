import { AutoModelForVision2Seq, AutoProcessor, BaseStreamer, env, RawImage } from '@huggingface/transformers'
import type { PreTrainedModel, Processor } from '@huggingface/transformers'
import { peakRssMb, rssMb } from './memory.ts'
import { parseVariantChoice } from './variant-choice.ts'
import { serveRunner } from './runner-host.ts'

/**
 * transformers.js (npm @huggingface/transformers) on the same model folder, measured the way a user would call it:
 * processor(text, images) then model.generate with a streamer. The sessions' run calls are wrapped to split the
 * vision encoder and the prefill out of the time to first token.
 */
env.allowRemoteModels = false
env.allowLocalModels = true
env.localModelPath = '/'

let processor: Processor | undefined
let model: PreTrainedModel | undefined
const sessionMs: Record<string, number[]> = {}

class FirstTokenClock extends BaseStreamer {
  firstAt = 0
  tokens = 0
  private prompt = true
  override put(): void {
    // The first put() carries the prompt ids.
    if (this.prompt) {
      this.prompt = false
      return
    }
    this.tokens++
    if (this.firstAt === 0) this.firstAt = performance.now()
  }
  override end(): void {}
}

function timeSessions(target: PreTrainedModel): void {
  const sessions = (
    target as unknown as { sessions: Record<string, { run: (...args: unknown[]) => Promise<unknown> }> }
  ).sessions
  for (const [name, session] of Object.entries(sessions)) {
    const run = session.run.bind(session)
    session.run = async (...args: unknown[]) => {
      const start = performance.now()
      try {
        return await run(...args)
      } finally {
        ;(sessionMs[name] ??= []).push(performance.now() - start)
      }
    }
  }
}

serveRunner({
  async init({ modelDir, variant }) {
    const start = performance.now()
    processor = await AutoProcessor.from_pretrained(modelDir)
    // transformers.js calls the `_quantized` files "q8"; a per-session choice becomes its per-session dtype map.
    const name = (v: string) => (v === 'quantized' ? 'q8' : v)
    const choice = parseVariantChoice(variant)
    const dtype =
      typeof choice === 'string'
        ? name(choice)
        : Object.fromEntries(
            (['vision_encoder', 'embed_tokens', 'decoder_model_merged'] as const).map((s) => [
              s,
              name(choice[s] ?? 'fp32')
            ])
          )
    model = await AutoModelForVision2Seq.from_pretrained(modelDir, { dtype: dtype as 'fp32', device: 'cpu' })
    timeSessions(model)
    return { loadMs: performance.now() - start, provider: 'cpu', peakRssMb: peakRssMb() }
  },
  async run({ benchCase, prompt, newTokens }) {
    if (!processor || !model) throw new Error('not initialised')
    for (const key of Object.keys(sessionMs)) delete sessionMs[key]
    const start = performance.now()
    const image = await RawImage.read(benchCase.image)
    const messages = [{ role: 'user', content: [{ type: 'image' }, { type: 'text', text: prompt }] }]
    const text = processor.apply_chat_template(messages, { add_generation_prompt: true }) as string
    const inputs = await processor(text, [image], { do_image_splitting: benchCase.split })
    const preprocessMs = performance.now() - start
    const clock = new FirstTokenClock()
    await model.generate({
      ...inputs,
      max_new_tokens: newTokens,
      min_new_tokens: newTokens,
      do_sample: false,
      streamer: clock
    })
    const end = performance.now()
    const decoderRuns = sessionMs['decoder_model_merged'] ?? []
    const decodeMs = end - clock.firstAt
    return {
      tiles: inputs.pixel_values.dims[1],
      promptTokens: inputs.input_ids.dims[1],
      generatedTokens: clock.tokens,
      preprocessMs,
      visionMs: (sessionMs['vision_encoder'] ?? []).reduce((a, b) => a + b, 0),
      prefillMs: decoderRuns[0] ?? null,
      ttftMs: clock.firstAt - start,
      decodeTokensPerSecond: clock.tokens > 1 ? ((clock.tokens - 1) * 1000) / decodeMs : 0,
      totalMs: end - start,
      ortMs: null,
      rssMb: rssMb(),
      peakRssMb: peakRssMb()
    }
  },
  async folder({ images, split, prompt, newTokens }) {
    if (!processor || !model) throw new Error('not initialised')
    // One image after another: transformers.js's usual use (its generate() takes one prompt per call here).
    for (const path of images) {
      const image = await RawImage.read(path)
      const messages = [{ role: 'user', content: [{ type: 'image' }, { type: 'text', text: prompt }] }]
      const text = processor.apply_chat_template(messages, { add_generation_prompt: true }) as string
      const inputs = await processor(text, [image], { do_image_splitting: split })
      await model.generate({
        ...inputs,
        max_new_tokens: newTokens,
        min_new_tokens: newTokens,
        do_sample: false
      })
    }
  }
})

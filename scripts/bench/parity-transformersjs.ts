import { AutoModelForVision2Seq, AutoProcessor, env, RawImage } from '@huggingface/transformers'
import { SmolVLM } from '../../src/engine/smolvlm.ts'
import { imagePath, loadReference, modelDir, requestFor } from '../../tests/support/reference.ts'

/**
 * How often each JavaScript implementation reproduces the Python reference's greedy ids when it preprocesses the
 * image files itself: `npx tsx scripts/bench/parity-transformersjs.ts`. (Ours is also asserted in tests/engine.)
 */
env.allowRemoteModels = false
env.localModelPath = '/'

for (const name of ['tiny-gqa', 'tiny-mha']) {
  const reference = loadReference(name)
  const ours = await SmolVLM.load(modelDir(name), { device: 'cpu' })
  const processor = await AutoProcessor.from_pretrained(modelDir(name))
  const tjs = await AutoModelForVision2Seq.from_pretrained(modelDir(name), { dtype: 'fp32', device: 'cpu' })
  let oursExact = 0
  let tjsExact = 0
  for (const c of reference.cases) {
    let ourIds: readonly number[] = []
    for await (const event of ours.describe(requestFor(c))) if (event.type === 'done') ourIds = event.tokenIds
    const images = await Promise.all(c.images.map((p) => RawImage.read(imagePath(p))))
    const text = processor.apply_chat_template(c.messages as never, { add_generation_prompt: true }) as string
    const options: Record<string, unknown> = {}
    if (c.processor_overrides.do_image_splitting === false) options['do_image_splitting'] = false
    if (c.processor_overrides.size) options['size'] = c.processor_overrides.size
    // Its processor cannot take a text-only prompt; the tokenizer alone is what it would use.
    const inputs = images.length > 0 ? await processor(text, images, options) : processor.tokenizer!(text)
    const output = await tjs.generate({
      ...inputs,
      max_new_tokens: c.generation.max_new_tokens,
      do_sample: false,
      repetition_penalty: c.generation.repetition_penalty
    })
    const all = Array.from((output as { data: BigInt64Array }).data, Number)
    const tjsIds = all.slice(inputs.input_ids.dims[1])
    const same = (ids: readonly number[]) =>
      ids.length === c.generated_ids.length && ids.every((id, i) => id === c.generated_ids[i])
    if (same(ourIds)) oursExact++
    if (same(tjsIds)) tjsExact++
    console.log(
      `${name}/${c.name}: ours ${same(ourIds) ? 'exact' : 'DIFFERS'}, transformers.js ${same(tjsIds) ? 'exact' : 'differs'}`
    )
  }
  console.log(
    `${name}: ours ${oursExact}/${reference.cases.length}, transformers.js ${tjsExact}/${reference.cases.length}`
  )
  await ours.dispose()
}

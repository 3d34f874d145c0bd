// Decoder steps on WebGPU with the KV cache kept on the CPU (copied each step) or left on the GPU
// (preferredOutputLocation 'gpu-buffer'): ms per step. node webgpu-kv-probe.mjs <decoder_model_merged.onnx>
import * as ort from 'onnxruntime-node'

const path = process.argv[2]
const probe = await ort.InferenceSession.create(path, { executionProviders: ['cpu'] })
const kvNames = probe.inputNames.filter((n) => n.startsWith('past_key_values'))
const kvMeta = probe.inputMetadata.find((m) => m.name === kvNames[0])
const embMeta = probe.inputMetadata.find((m) => m.name === 'inputs_embeds')
const [heads, headDim] = [kvMeta.shape[1], kvMeta.shape[3]]
const hidden = embMeta.shape[2]
await probe.release()
console.log(
  `${kvNames.length / 2} layers, ${heads} kv heads x ${headDim}, hidden ${hidden}; inputs ${probe.inputNames.join(',').slice(0, 80)}...`
)

for (const mode of ['cpu-kv', 'gpu-kv']) {
  const s = await ort.InferenceSession.create(path, {
    executionProviders: ['webgpu'],
    graphOptimizationLevel: 'all',
    ...(mode === 'gpu-kv' ? { preferredOutputLocation: 'gpu-buffer' } : {})
  })
  const step = async (embeds, length, past) => {
    const n = embeds.length / hidden
    const feeds = {
      inputs_embeds: new ort.Tensor('float32', embeds, [1, n, hidden]),
      attention_mask: new ort.Tensor(
        'int64',
        BigInt64Array.from({ length }, () => 1n),
        [1, length]
      ),
      position_ids: new ort.Tensor(
        'int64',
        BigInt64Array.from({ length: n }, (_, i) => BigInt(length - n + i)),
        [1, n]
      ),
      ...past
    }
    if (!s.inputNames.includes('position_ids')) delete feeds.position_ids
    const out = await s.run(feeds)
    const logits = out.logits
    await logits.getData(true)
    const next = {}
    for (const name of s.outputNames.filter((o) => o.startsWith('present'))) {
      next[name.replace('present', 'past_key_values')] = out[name]
    }
    for (const t of Object.values(past)) t.dispose?.()
    return next
  }
  let past = Object.fromEntries(
    kvNames.map((n) => [n, new ort.Tensor('float32', new Float32Array(0), [1, heads, 0, headDim])])
  )
  let length = 81
  let t = performance.now()
  past = await step(new Float32Array(81 * hidden).fill(0.01), length, past)
  const prefill = performance.now() - t
  const times = []
  for (let i = 0; i < 40; i++) {
    length++
    t = performance.now()
    past = await step(new Float32Array(hidden).fill(0.02), length, past)
    times.push(performance.now() - t)
  }
  times.sort((a, b) => a - b)
  console.log(
    `${mode}: prefill 81 tokens ${prefill.toFixed(0)} ms; decode step median ${times[20].toFixed(1)} ms, min ${times[0].toFixed(1)} ms`
  )
  await s.release()
}

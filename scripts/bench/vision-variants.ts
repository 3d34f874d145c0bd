import { join } from 'node:path'
import { parseArgs } from 'node:util'
import * as ort from 'onnxruntime-node'

/**
 * The vision encoder's precisions side by side: `npx tsx scripts/bench/vision-variants.ts [model-dir]
 * [--variants fp32,uint8,q4] [--frames 1,4] [--threads 2] [--runs 5]`. For each precision and frame count it
 * prints the median wall time of one session.run and the time per frame, and the cosine similarity of the
 * features with fp32's on the same frames (random pixels in [-1, 1], the range the preprocessor produces).
 * It answers two questions: which precision a CPU session should default to, and whether encoding several
 * frames in one run is faster per frame than one at a time.
 */
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    variants: { type: 'string', default: 'fp32,uint8,q4' },
    frames: { type: 'string', default: '1,4' },
    threads: { type: 'string', default: '2' },
    runs: { type: 'string', default: '5' }
  }
})
const dir = join(positionals[0] ?? '.cache/models/random-256m-genai', 'onnx')
const variants = values.variants.split(',')
const frameCounts = values.frames.split(',').map(Number)
const runs = Number(values.runs)
const side = 512

function pixels(frames: number): { values: ort.Tensor; mask: ort.Tensor } {
  let seed = 12345
  const next = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1
  const data = Float32Array.from({ length: frames * 3 * side * side }, next)
  return {
    values: new ort.Tensor('float32', data, [1, frames, 3, side, side]),
    mask: new ort.Tensor('bool', new Uint8Array(frames * side * side).fill(1), [1, frames, side, side])
  }
}

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0
  let na = 0
  let nb = 0
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i]
    na += a[i] * a[i]
    nb += b[i] * b[i]
  }
  return dot / Math.sqrt(na * nb)
}

const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]
const reference = new Map<number, Float32Array>()
for (const variant of variants) {
  const file = variant === 'fp32' ? 'vision_encoder.onnx' : `vision_encoder_${variant}.onnx`
  const loadStart = performance.now()
  const session = await ort.InferenceSession.create(join(dir, file), {
    intraOpNumThreads: Number(values.threads),
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all'
  })
  const loadMs = performance.now() - loadStart
  for (const frames of frameCounts) {
    const input = pixels(frames)
    const feeds = { pixel_values: input.values, pixel_attention_mask: input.mask }
    let features = (await session.run(feeds)).image_features.data as Float32Array // warm-up
    const times: number[] = []
    for (let i = 0; i < runs; i++) {
      const start = performance.now()
      features = (await session.run(feeds)).image_features.data as Float32Array
      times.push(performance.now() - start)
    }
    if (variant === 'fp32') reference.set(frames, features)
    const ref = reference.get(frames)
    const ms = median(times)
    console.log(
      JSON.stringify({
        variant,
        frames,
        loadMs: Math.round(loadMs),
        runMs: Math.round(ms),
        msPerFrame: Math.round(ms / frames),
        cosineVsFp32: ref ? Number(cosine(ref, features).toFixed(5)) : null
      })
    )
  }
  await session.release()
}

import { readdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { parseArgs } from 'node:util'
import * as ort from 'onnxruntime-node'
import { rewriteDecoder } from '../../src/engine/decoder-rewrite.ts'
import { readModelSkeleton } from '../../src/engine/onnx-skeleton.ts'

/**
 * Where one decoder step goes: `npx tsx scripts/bench/profile-step.ts <model-dir> [--file decoder_model_merged_q4]
 * [--context 1141] [--threads 2] [--as-shipped]`. Loads the decoder as the engine does (its load-time edits, unless
 * --as-shipped), feeds a random cache of `context` positions the way the engine's cache does, runs 12 single-token
 * steps with onnxruntime's profiler, and prints the wall time per step and the kernel time per operator type
 * (averaged over the last 10 steps).
 */
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    file: { type: 'string', default: 'decoder_model_merged' },
    context: { type: 'string', default: '1141' },
    threads: { type: 'string', default: '2' },
    'as-shipped': { type: 'boolean', default: false }
  }
})
const path = join(positionals[0] ?? '.cache/models/random-256m-genai', 'onnx', `${values.file}.onnx`)
const context = Number(values.context)
const prefix = join(tmpdir(), `smolvlm-profile-${process.pid}`)
const options: ort.InferenceSession.SessionOptions = {
  intraOpNumThreads: Number(values.threads),
  enableProfiling: true,
  profileFilePrefix: prefix
}
const rewrite = values['as-shipped'] ? undefined : rewriteDecoder((await readModelSkeleton(path)).bytes)
const session = rewrite
  ? await ort.InferenceSession.create(rewrite.bytes, {
      ...options,
      extra: { session: { model_external_initializers_file_folder_path: dirname(path) } }
    })
  : await ort.InferenceSession.create(path, options)

const meta = session.inputMetadata as unknown as { name: string; shape: (number | string)[] }[]
const pastNames = meta.filter((m) => m.name.startsWith('past_key_values.'))
const hidden = Number(meta.find((m) => m.name === 'inputs_embeds')!.shape[2])
const [, heads, , headDim] = pastNames[0].shape as number[]
// Capacity buffers fed whole (the edited graph) or exact-length caches (as shipped), random contents.
const capacity = context + 16
const random = (n: number) => Float32Array.from({ length: n }, () => Math.random() - 0.5)
const past = Object.fromEntries(
  pastNames.map((m) => [m.name, random(heads * (rewrite ? capacity : context) * headDim)])
)
const wall: number[] = []
for (let step = 0; step < 12; step++) {
  const total = context + (rewrite ? step : 0) + 1
  const feeds: Record<string, ort.Tensor> = {
    inputs_embeds: new ort.Tensor('float32', random(hidden), [1, 1, hidden]),
    attention_mask: new ort.Tensor('int64', new BigInt64Array(total).fill(1n), [1, total])
  }
  if (session.inputNames.includes('position_ids'))
    feeds['position_ids'] = new ort.Tensor('int64', BigInt64Array.of(BigInt(total - 1)), [1, 1])
  for (const { name } of pastNames)
    feeds[name] = new ort.Tensor('float32', past[name], [1, heads, rewrite ? capacity : context, headDim])
  const start = performance.now()
  await session.run(feeds)
  wall.push(performance.now() - start)
}
session.endProfiling()
const file = readdirSync(tmpdir())
  .filter((name) => name.startsWith(`smolvlm-profile-${process.pid}`))
  .sort()
  .at(-1)!
const events = JSON.parse(readFileSync(join(tmpdir(), file), 'utf8')) as {
  cat: string
  name: string
  ts: number
  dur: number
  args: { op_name?: string }
}[]
const runs = events.filter((e) => e.cat === 'Session' && e.name === 'model_run').slice(2)
const byOp = new Map<string, number>()
for (const e of events) {
  if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time') || e.ts < runs[0].ts) continue
  byOp.set(e.args.op_name ?? '?', (byOp.get(e.args.op_name ?? '?') ?? 0) + e.dur)
}
const ms = (us: number) => (us / runs.length / 1000).toFixed(2)
const sorted = [...wall.slice(2)].sort((a, b) => a - b)
console.log(
  `${values.file}${rewrite ? ' (edited)' : ' (as shipped)'}, ${context} positions: step median ` +
    `${sorted[sorted.length >> 1].toFixed(1)} ms wall, ` +
    `${ms(runs.reduce((sum, r) => sum + r.dur, 0))} ms inside onnxruntime`
)
for (const [op, us] of [...byOp].sort((a, b) => b[1] - a[1]).slice(0, 8))
  console.log(`  ${op.padEnd(34)} ${ms(us)} ms`)
console.log(`profile: ${join(tmpdir(), file)}`)

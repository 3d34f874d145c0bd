/**
 * GPU smoke check for a machine with a real accelerator: loads the committed tiny models on a GPU execution
 * provider and on CPU, runs every Python reference case (from the reference inputs and from the image files) on
 * both, and prints which provider each session got, whether the greedy ids match the reference, and timings.
 *
 *   npx tsx scripts/device/gpu-check.ts [--device webgpu|cuda|dml|coreml] [--json <file>]
 *
 * GPU arithmetic differs from CPU in summation order, so on random weights a greedy path may leave the
 * reference after some tokens; the report gives the first differing position instead of a pass/fail.
 */
import { writeFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import * as ort from 'onnxruntime-node'
import { readInputsFile } from '../../src/engine/inputs-file.ts'
import { isDevice } from '../../src/engine/runtime.ts'
import type { Device } from '../../src/engine/runtime.ts'
import { SmolVLM } from '../../src/engine/smolvlm.ts'
import { collect } from '../../tests/support/collect.ts'
import { inputsPath, loadReference, modelDir, requestFor } from '../../tests/support/reference.ts'

interface CaseResult {
  readonly model: string
  readonly device: string
  readonly caseName: string
  readonly source: 'inputs' | 'images'
  readonly tokens: number
  readonly matching: number
  readonly firstDifference: number | null
  readonly ms: number
}

function compare(ours: readonly number[], reference: readonly number[]) {
  let matching = 0
  while (matching < ours.length && matching < reference.length && ours[matching] === reference[matching])
    matching++
  const same = matching === ours.length && matching === reference.length
  return { matching, firstDifference: same ? null : matching }
}

async function checkModel(name: string, device: Device, results: CaseResult[]) {
  const model = await SmolVLM.load(modelDir(name), { device, variant: 'fp32' })
  const where = model.info.sessions.map(
    (s) =>
      `${s.session}=${s.provider}` +
      (s.fallbacks.length > 0 ? ` (${s.fallbacks.map((f) => `${f.provider}: ${f.error}`).join('; ')})` : '')
  )
  console.log(`${name} on ${device}: loaded in ${model.info.loadMs.toFixed(0)} ms; ${where.join(', ')}`)
  try {
    for (const c of loadReference(name).cases) {
      for (const source of ['inputs', 'images'] as const) {
        const start = performance.now()
        const done =
          source === 'inputs'
            ? (await collect(model.generate(await readInputsFile(inputsPath(name, c)), requestFor(c)))).done
            : (await collect(model.describe(requestFor(c)))).done
        const ms = performance.now() - start
        const { matching, firstDifference } = compare(done.tokenIds, c.generated_ids)
        results.push({
          model: name,
          device: model.info.provider,
          caseName: c.name,
          source,
          tokens: done.tokenIds.length,
          matching,
          firstDifference,
          ms
        })
        console.log(
          `  ${c.name.padEnd(28)} ${source.padEnd(6)} ${String(matching).padStart(3)}/${c.generated_ids.length} ` +
            `reference ids${firstDifference === null ? '' : ` (differs at ${firstDifference})`}, ` +
            `${ms.toFixed(0)} ms`
        )
      }
    }
  } finally {
    await model.dispose()
  }
}

async function main() {
  const { values } = parseArgs({
    options: { device: { type: 'string', default: 'webgpu' }, json: { type: 'string' } }
  })
  const device = values.device ?? 'webgpu'
  if (!isDevice(device)) throw new Error(`unknown device ${device}`)
  console.log(`onnxruntime-node ${ort.env.versions.common}; supported backends:`, ort.listSupportedBackends())
  const results: CaseResult[] = []
  for (const name of ['tiny-gqa', 'tiny-mha']) {
    for (const d of [device, 'cpu'] as const) await checkModel(name, d, results)
  }
  for (const d of new Set(results.map((r) => r.device))) {
    const mine = results.filter((r) => r.device === d)
    const exact = mine.filter((r) => r.firstDifference === null).length
    const ms = mine.reduce((sum, r) => sum + r.ms, 0)
    console.log(`${d}: ${exact}/${mine.length} runs token-exact, ${ms.toFixed(0)} ms in all`)
  }
  if (values.json) writeFileSync(values.json, JSON.stringify(results, null, 1))
}

main().catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})

/**
 * One model folder, several execution providers, the same captions: time to first token, decode speed and the
 * greedy ids compared across providers. For a machine with a real GPU (see docs/performance.md, "GPU").
 *
 *   npx tsx scripts/device/gpu-bench.ts --model <dir> [--devices webgpu,cpu] [--variant fp32] [--runs 3]
 *       [--max-new-tokens 64] [--decoder-variant q4] [--no-rewrite] [--only <scenario text>] [--json <file>]
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { isVariant } from '../../src/engine/model-files.ts'
import { isDevice } from '../../src/engine/runtime.ts'
import { SmolVLM } from '../../src/engine/smolvlm.ts'
import type { DescribeStats } from '../../src/engine/smolvlm.ts'
import { collect } from '../../tests/support/collect.ts'
import { writeBenchImage } from '../bench/images.ts'

interface Scenario {
  readonly name: string
  readonly width: number
  readonly height: number
  readonly split: boolean
}

const SCENARIOS: readonly Scenario[] = [
  { name: '512x512, 17 tiles', width: 512, height: 512, split: true },
  { name: '1600x1200, 13 tiles', width: 1600, height: 1200, split: true },
  { name: '512x512 fast mode, 1 tile', width: 512, height: 512, split: false }
]

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

async function main() {
  const { values } = parseArgs({
    options: {
      model: { type: 'string' },
      devices: { type: 'string', default: 'webgpu,cpu' },
      variant: { type: 'string', default: 'fp32' },
      runs: { type: 'string', default: '3' },
      'max-new-tokens': { type: 'string', default: '64' },
      'decoder-variant': { type: 'string' },
      'no-rewrite': { type: 'boolean', default: false },
      only: { type: 'string' },
      json: { type: 'string' }
    }
  })
  if (!values.model) throw new Error('--model <dir> is required')
  const variant = values.variant ?? 'fp32'
  if (!isVariant(variant)) throw new Error(`unknown variant ${variant}`)
  const decoderVariant = values['decoder-variant']
  if (decoderVariant !== undefined && !isVariant(decoderVariant))
    throw new Error(`unknown variant ${decoderVariant}`)
  const choice = decoderVariant ? { decoder_model_merged: decoderVariant } : variant
  const label = decoderVariant ? `decoder ${decoderVariant}` : variant
  const scenarios = SCENARIOS.filter((s) => values.only === undefined || s.name.includes(values.only))
  const runs = Number(values.runs)
  const maxNewTokens = Number(values['max-new-tokens'])
  const imageDir = mkdtempSync(join(tmpdir(), 'smolvlm-gpu-bench-'))
  const rows: Record<string, unknown>[] = []
  const idsByScenario = new Map<string, Map<string, readonly number[]>>()

  for (const device of (values.devices ?? '').split(',')) {
    if (!isDevice(device)) throw new Error(`unknown device ${device}`)
    const model = await SmolVLM.load(values.model, {
      device,
      variant: choice,
      rewriteDecoder: !values['no-rewrite']
    })
    const where = model.info.sessions.map((s) => `${s.session}=${s.provider}`).join(', ')
    console.log(
      `${device} ${label}, ${model.info.kvCache} cache: loaded in ${(model.info.loadMs / 1000).toFixed(1)} s; ${where}`
    )
    try {
      for (const scenario of scenarios) {
        const image = await writeBenchImage(imageDir, scenario.width, scenario.height)
        const stats: DescribeStats[] = []
        let ids: readonly number[] = []
        // One untimed run first: GPU providers compile their kernels on first use.
        for (let run = 0; run <= runs; run++) {
          model.clearCache()
          const { done } = await collect(
            model.describe({ images: [image], doImageSplitting: scenario.split, maxNewTokens })
          )
          if (run > 0) stats.push(done.stats)
          ids = done.tokenIds
        }
        const ttft = median(stats.map((s) => s.ttftMs)) / 1000
        const vision = median(stats.map((s) => s.visionMs)) / 1000
        const prefill = median(stats.map((s) => s.prefillMs)) / 1000
        const decode = median(stats.map((s) => s.tokensPerSecond))
        const byDevice = idsByScenario.get(scenario.name) ?? new Map<string, readonly number[]>()
        byDevice.set(`${device} (ran on ${model.info.provider})`, ids)
        idsByScenario.set(scenario.name, byDevice)
        rows.push({
          device: model.info.provider,
          variant: label,
          scenario: scenario.name,
          ttft,
          vision,
          prefill,
          decode
        })
        console.log(
          `  ${scenario.name.padEnd(26)} TTFT ${ttft.toFixed(2)} s (vision ${vision.toFixed(2)}, prefill ` +
            `${prefill.toFixed(2)}), decode ${decode.toFixed(1)} tok/s, ${stats[0].tiles} tiles, ` +
            `${stats[0].inputTokens} prompt tokens`
        )
      }
    } finally {
      await model.dispose()
    }
  }

  for (const [scenario, byDevice] of idsByScenario) {
    const [first, ...rest] = [...byDevice.entries()]
    for (const [device, ids] of rest) {
      let same = 0
      while (same < ids.length && same < first[1].length && ids[same] === first[1][same]) same++
      console.log(`${scenario}: ${device} matches ${first[0]} for ${same}/${first[1].length} greedy tokens`)
    }
  }
  if (values.json) writeFileSync(values.json, JSON.stringify(rows, null, 1))
}

main().catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})

import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { writeBenchImage } from './images.ts'
import { runFolderBench } from './folder.ts'
import type { BenchCase, RunMetrics } from './protocol.ts'
import { Runner } from './runner-process.ts'
import type { Implementation } from './runner-process.ts'

/**
 * `npm run bench -- [--model <dir>] [--decoder-shape genai|traced] [--variant v] [--runs n] [--cases 512x512,...]
 *   [--vs-transformersjs] [--json]`; `--folder [--batch-size n]`: images per minute over folders (folder.ts).
 * Without --model it uses (and if needed builds, with Python) a random-weight model of the real 256M size whose
 * decoder has the official files' shape (the onnxruntime-genai builder's GroupQueryAttention graph), or with
 * `--decoder-shape traced` the torch trace the first fixtures used.
 *
 * Each implementation runs in its own process (so peak RSS is its own), loads the model once, and the orchestrator
 * alternates them case by case and run by run. Figures are medians of the runs after one warm-up run.
 */
const HERE = fileURLToPath(new URL('.', import.meta.url))
const ROOT = resolve(HERE, '../..')
/** The default models: random weights with the real SmolVLM-256M dimensions, built on demand (never committed). */
const RANDOM_256M = {
  genai: join(ROOT, '.cache/models/random-256m-genai'),
  traced: join(ROOT, '.cache/models/random-256m')
} as const
const PROMPT = 'Can you describe this image?'

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

interface Summary {
  loadMs: number
  preprocessMs: number
  visionMs: number | null
  prefillMs: number | null
  ttftMs: number
  decodeTokensPerSecond: number
  totalMs: number
  ortMs?: number | null
  peakRssMb: number
  rssAfterEachRunMb: number[]
}

function summarise(loadMs: number, runs: readonly RunMetrics[], withOrt: boolean): Summary {
  const pick = (key: keyof RunMetrics) => median(runs.map((r) => r[key] as number))
  const nullable = (key: 'visionMs' | 'prefillMs' | 'ortMs') => (runs[0][key] === null ? null : pick(key))
  return {
    loadMs,
    preprocessMs: pick('preprocessMs'),
    visionMs: nullable('visionMs'),
    prefillMs: nullable('prefillMs'),
    ttftMs: pick('ttftMs'),
    decodeTokensPerSecond: pick('decodeTokensPerSecond'),
    totalMs: pick('totalMs'),
    ...(withOrt ? { ortMs: nullable('ortMs') } : {}),
    peakRssMb: Math.max(...runs.map((r) => r.peakRssMb)),
    rssAfterEachRunMb: runs.map((r) => Math.round(r.rssMb))
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      model: { type: 'string' },
      'decoder-shape': { type: 'string', default: 'genai' },
      variant: { type: 'string', default: 'fp32' },
      runs: { type: 'string', default: '3' },
      tokens: { type: 'string', default: '32' },
      threads: { type: 'string' },
      cases: { type: 'string' },
      'vs-transformersjs': { type: 'boolean', default: false },
      folder: { type: 'boolean', default: false },
      'batch-size': { type: 'string', default: '4' },
      json: { type: 'boolean', default: false }
    }
  })
  const log = (text: string) => process.stderr.write(`bench: ${text}\n`)
  const shape = values['decoder-shape']
  if (shape !== 'genai' && shape !== 'traced') {
    log(`--decoder-shape is genai (the official files' shape) or traced, not "${shape}"`)
    process.exit(2)
  }
  const modelDir = values.model ? resolve(values.model) : RANDOM_256M[shape]
  if (!values.model && !existsSync(join(modelDir, 'onnx/decoder_model_merged.onnx'))) {
    log(
      `building the random-weight 256M model (${shape} decoder) into ${modelDir} (Python, a few minutes, ~1.6 GB)`
    )
    const build = spawnSync(
      'bash',
      [join(ROOT, 'scripts/fixtures/run.sh'), '--full-size', modelDir, '--decoder-shape', shape],
      { stdio: 'inherit' }
    )
    if (build.status !== 0) {
      log('could not build it; pass --model <dir> with a SmolVLM model folder instead')
      process.exit(2)
    }
  }
  if (values.folder) {
    const folder = await runFolderBench({
      modelDir,
      variant: values.variant,
      threads: values.threads ? Number(values.threads) : undefined,
      newTokens: Number(values.tokens),
      batchSize: Number(values['batch-size']),
      vsTransformersjs: values['vs-transformersjs'],
      prompt: PROMPT,
      log,
      modes: values.cases?.split(',')
    })
    if (values.json)
      process.stdout.write(
        JSON.stringify({ model: modelDir, variant: values.variant, folder }, null, 2) + '\n'
      )
    return
  }
  const runs = Number(values.runs)
  const newTokens = Number(values.tokens)
  const threads = values.threads ? Number(values.threads) : undefined

  const imageDir = join(tmpdir(), 'smolvlm-bench-images')
  const sizes: [string, number, number, boolean][] = [
    ['512x512', 512, 512, true],
    ['1600x1200', 1600, 1200, true],
    ['panorama 4000x1000', 4000, 1000, true],
    ['1600x1200 fast mode', 1600, 1200, false]
  ]
  const wanted = values.cases?.split(',')
  const cases: BenchCase[] = []
  for (const [name, width, height, split] of sizes) {
    if (wanted && !wanted.some((w) => name.startsWith(w))) continue
    cases.push({ name, image: await writeBenchImage(imageDir, width, height), width, height, split })
  }

  const implementations: Implementation[] = values['vs-transformersjs']
    ? ['ours', 'transformersjs']
    : ['ours']
  const runners = new Map<Implementation, Runner>()
  const loadMs = new Map<Implementation, number>()
  for (const implementation of implementations) {
    const runner = new Runner(implementation)
    const reply = await runner.request({ type: 'init', modelDir, variant: values.variant, threads })
    if (reply.type !== 'ready')
      throw new Error(
        `${implementation} failed to load: ${reply.type === 'error' ? reply.message : reply.type}`
      )
    log(`${implementation} loaded in ${reply.loadMs.toFixed(0)} ms on ${reply.provider}`)
    runners.set(implementation, runner)
    loadMs.set(implementation, reply.loadMs)
  }

  const results = []
  try {
    for (const [index, benchCase] of cases.entries()) {
      const byImplementation = new Map<Implementation, RunMetrics[]>(implementations.map((i) => [i, []]))
      const request = { type: 'run', benchCase, prompt: PROMPT, newTokens } as const
      for (let run = -1; run < runs; run++) {
        // Alternate who goes first, so neither always runs on a warmer (or hotter) machine.
        const order = (run + index) % 2 === 0 ? implementations : [...implementations].reverse()
        for (const implementation of order) {
          const metrics = await runners.get(implementation)!.run(request)
          log(
            `${benchCase.name} ${implementation} ${run < 0 ? 'warm-up' : `run ${run + 1}`}: ` +
              `ttft ${metrics.ttftMs.toFixed(0)} ms, ${metrics.decodeTokensPerSecond.toFixed(1)} tok/s, ` +
              `total ${metrics.totalMs.toFixed(0)} ms, rss ${metrics.rssMb.toFixed(0)} MB`
          )
          if (run >= 0) byImplementation.get(implementation)!.push(metrics)
        }
      }
      const ourRuns = byImplementation.get('ours')!
      const ours = summarise(loadMs.get('ours')!, ourRuns, true)
      const entry: Record<string, unknown> = {
        image: benchCase.name,
        tiles: ourRuns[0].tiles,
        promptTokens: ourRuns[0].promptTokens,
        ours,
        overheadPct: ours.ortMs == null ? null : (100 * (ours.totalMs - ours.ortMs)) / ours.totalMs
      }
      const theirRuns = byImplementation.get('transformersjs')
      if (theirRuns) {
        const tjs = summarise(loadMs.get('transformersjs')!, theirRuns, false)
        entry['transformersjs'] = tjs
        entry['speedup'] = {
          ttft: tjs.ttftMs / ours.ttftMs,
          decode: ours.decodeTokensPerSecond / tjs.decodeTokensPerSecond
        }
        entry['memoryRatio'] = ours.peakRssMb / tjs.peakRssMb
      }
      results.push(entry)
    }
  } finally {
    for (const runner of runners.values()) runner.close()
  }

  const report = { model: modelDir, variant: values.variant, newTokens, runs, cases: results }
  if (values.json) {
    process.stdout.write(JSON.stringify(report, null, 2) + '\n')
    return
  }
  printTable(report.cases)
}

function printTable(cases: Record<string, unknown>[]): void {
  const f = (n: unknown, digits = 0) => (typeof n === 'number' ? n.toFixed(digits) : '-')
  const rows: string[][] = [
    [
      'image',
      'tiles',
      'tokens',
      'impl',
      'load ms',
      'prep ms',
      'vision ms',
      'prefill ms',
      'TTFT ms',
      'tok/s',
      'total ms',
      'ORT ms',
      'peak MB'
    ]
  ]
  for (const c of cases) {
    for (const impl of ['ours', 'transformersjs'] as const) {
      const s = c[impl] as Summary | undefined
      if (!s) continue
      rows.push([
        String(c['image']),
        String(c['tiles']),
        String(c['promptTokens']),
        impl,
        f(s.loadMs),
        f(s.preprocessMs),
        f(s.visionMs),
        f(s.prefillMs),
        f(s.ttftMs),
        f(s.decodeTokensPerSecond, 1),
        f(s.totalMs),
        f(s.ortMs),
        f(s.peakRssMb)
      ])
    }
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)))
  for (const row of rows) console.log(row.map((cell, i) => cell.padEnd(widths[i])).join('  '))
  console.log('')
  for (const c of cases) {
    const speedup = c['speedup'] as { ttft: number; decode: number } | undefined
    const overhead = f(c['overheadPct'], 2)
    console.log(
      `${String(c['image'])}: our overhead above onnxruntime ${overhead}%` +
        (speedup
          ? `, TTFT ×${speedup.ttft.toFixed(2)}, decode ×${speedup.decode.toFixed(2)}, memory ×${f(c['memoryRatio'], 2)} of transformers.js`
          : '')
    )
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`)
  process.exit(1)
})

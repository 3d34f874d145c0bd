import { writeFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { SmolvlmError } from '../engine/errors.ts'
import { readInputsFile, serializeInputs } from '../engine/inputs-file.ts'
import { isVariant } from '../engine/model-files.ts'
import type { Variant } from '../engine/model-files.ts'
import { isDevice } from '../engine/runtime.ts'
import type { Device } from '../engine/runtime.ts'
import type { Sampling } from '../engine/sampling.ts'
import { DEFAULT_MAX_NEW_TOKENS, DEFAULT_PROMPT, SmolVLM } from '../engine/smolvlm.ts'
import type { DescribeEvent, DescribeRequest } from '../engine/smolvlm.ts'
import { resolveModelDir } from './model-arg.ts'
import { UsageError } from './usage.ts'

export const CAPTION_USAGE = `Usage: smolvlm caption [options] <image...>

  --model <dir|id>        model folder, or a catalog id from the model store (or $SMOLVLM_MODEL)
  --variant <name>        fp32 | fp16 | int8 | uint8 | quantized | q4 | q4f16 | bnb4
                          (default: fp32 where installed, else the installed precision)
  --device <name>         auto | cpu | webgpu | cuda | dml | coreml (default auto)
  --prompt <text>         default "${DEFAULT_PROMPT}"
  --max-new-tokens <n>    default ${DEFAULT_MAX_NEW_TOKENS}
  --greedy                pick the most likely token (default)
  --temperature <t>       sample instead, with [--top-p <p>] [--top-k <k>] [--seed <n>]
  --repetition-penalty <r>
  --no-split              one global tile per image (fast mode)
  --longest-edge <px>     resize target of the longest side before tiling
  --together              all images in one prompt (otherwise one caption per image)
  --threads <n>           onnxruntime threads (default: all cores)
  --json                  one JSON object per result on stdout; messages go to stderr
  --verbose               print each stage's time (preprocess, vision, prefill) on stderr
  --dump-inputs <file>    write the model inputs (input_ids, pixel_values, pixel_attention_mask) to a JSON file
  --inputs <file>         run from such a file instead of images and prompt
`

interface CaptionArgs {
  readonly model: string
  readonly variant?: Variant
  readonly device: Device
  readonly threads?: number
  readonly json: boolean
  readonly verbose: boolean
  readonly together: boolean
  readonly dumpInputs?: string
  readonly inputs?: string
  readonly images: readonly string[]
  readonly request: Omit<DescribeRequest, 'images'>
}

function numberOption(
  value: string | undefined,
  name: string,
  check: (n: number) => boolean
): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (!Number.isFinite(n) || !check(n)) throw new UsageError(`--${name} ${value} is not valid.`)
  return n
}

export function parseCaptionArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): CaptionArgs {
  let parsed
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        model: { type: 'string' },
        variant: { type: 'string' },
        device: { type: 'string', default: 'auto' },
        prompt: { type: 'string' },
        'max-new-tokens': { type: 'string' },
        greedy: { type: 'boolean' },
        temperature: { type: 'string' },
        'top-p': { type: 'string' },
        'top-k': { type: 'string' },
        seed: { type: 'string' },
        'repetition-penalty': { type: 'string' },
        'no-split': { type: 'boolean' },
        'longest-edge': { type: 'string' },
        together: { type: 'boolean' },
        threads: { type: 'string' },
        json: { type: 'boolean' },
        verbose: { type: 'boolean', short: 'v' },
        'dump-inputs': { type: 'string' },
        inputs: { type: 'string' }
      }
    })
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error))
  }
  const { values, positionals } = parsed
  const model = values.model ?? env['SMOLVLM_MODEL']
  if (!model) throw new UsageError('Name a model with --model <dir|id> (or set SMOLVLM_MODEL).')
  if (values.variant !== undefined && !isVariant(values.variant)) {
    throw new UsageError(`Unknown variant "${values.variant}".`)
  }
  if (!isDevice(values.device)) throw new UsageError(`Unknown device "${values.device}".`)
  if (!values.inputs && positionals.length === 0)
    throw new UsageError('Give at least one image (or --inputs <file>).')
  if (values.greedy && values.temperature !== undefined) {
    throw new UsageError('--greedy and --temperature exclude each other.')
  }
  const temperature = numberOption(values.temperature, 'temperature', (n) => n > 0)
  const sampling: Sampling =
    temperature === undefined
      ? { kind: 'greedy' }
      : {
          kind: 'sample',
          temperature,
          topP: numberOption(values['top-p'], 'top-p', (n) => n > 0 && n <= 1),
          topK: numberOption(values['top-k'], 'top-k', (n) => Number.isInteger(n) && n >= 1),
          seed: numberOption(values.seed, 'seed', Number.isInteger)
        }
  return {
    model,
    variant: values.variant,
    device: values.device,
    threads: numberOption(values.threads, 'threads', (n) => Number.isInteger(n) && n >= 1),
    json: values.json ?? false,
    verbose: values.verbose ?? false,
    together: values.together ?? false,
    dumpInputs: values['dump-inputs'],
    inputs: values.inputs,
    images: positionals,
    request: {
      prompt: values.prompt,
      maxNewTokens: numberOption(
        values['max-new-tokens'],
        'max-new-tokens',
        (n) => Number.isInteger(n) && n >= 1
      ),
      sampling,
      repetitionPenalty: numberOption(values['repetition-penalty'], 'repetition-penalty', (n) => n > 0),
      doImageSplitting: values['no-split'] ? false : undefined,
      longestEdge: numberOption(values['longest-edge'], 'longest-edge', (n) => Number.isInteger(n) && n >= 1)
    }
  }
}

export interface Output {
  readonly out: (text: string) => void
  readonly err: (text: string) => void
}

const stdio: Output = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text)
}

function describeError(error: unknown): string {
  if (error instanceof SmolvlmError) return error.message
  return error instanceof Error ? error.message : String(error)
}

/** The precision that ran: one name, or one per session when they differ. */
function variantLabel(model: SmolVLM): string | Record<string, string> {
  const variants = Object.fromEntries(model.info.sessions.map((s) => [s.session, s.variant]))
  const distinct = new Set(Object.values(variants))
  return distinct.size === 1 ? [...distinct][0] : variants
}

/** Runs `smolvlm caption`; returns the exit code (0 all fine, 1 some images failed, 2 nothing could run). */
export async function runCaption(argv: readonly string[], io: Output = stdio): Promise<number> {
  const args = parseCaptionArgs(argv)
  const dir = await resolveModelDir(args.model)
  let model: SmolVLM
  try {
    model = await SmolVLM.load(dir, { variant: args.variant, device: args.device, threads: args.threads })
  } catch (error) {
    io.err(`smolvlm: cannot load the model: ${describeError(error)}\n`)
    return 2
  }
  const reported = new Set<string>()
  for (const session of model.info.sessions) {
    for (const attempt of session.fallbacks) {
      if (reported.has(attempt.provider)) continue
      reported.add(attempt.provider)
      io.err(`smolvlm: ${attempt.provider} unavailable (${attempt.error}); using ${session.provider}\n`)
    }
  }
  const jobs: (readonly string[])[] = args.inputs
    ? [[]]
    : args.together
      ? [args.images]
      : args.images.map((i) => [i])
  if (args.dumpInputs && jobs.length > 1) {
    io.err('smolvlm: --dump-inputs writes one job; use it with one image or --together\n')
    return 2
  }
  let failures = 0
  const controller = new AbortController()
  const onSignal = () => controller.abort()
  process.once('SIGINT', onSignal)
  try {
    for (const images of jobs) {
      if (controller.signal.aborted) break
      try {
        await runJob(model, args, images, io, controller.signal)
      } catch (error) {
        failures++
        const label = images.length > 0 ? images.join(', ') : (args.inputs ?? '')
        io.err(`smolvlm: ${label}: ${describeError(error)}\n`)
      }
    }
  } finally {
    process.off('SIGINT', onSignal)
    await model.dispose()
  }
  return failures > 0 ? 1 : 0
}

async function runJob(
  model: SmolVLM,
  args: CaptionArgs,
  images: readonly string[],
  io: Output,
  signal: AbortSignal
): Promise<void> {
  let events: AsyncGenerator<DescribeEvent>
  let prompt = args.request.prompt ?? DEFAULT_PROMPT
  if (args.inputs) {
    events = model.generate(await readInputsFile(args.inputs), args.request, { signal })
    prompt = ''
  } else {
    const request: DescribeRequest = { ...args.request, images }
    if (args.dumpInputs) {
      const prepared = await model.prepare(request, { withPixels: true })
      await writeFile(args.dumpInputs, JSON.stringify(serializeInputs(prepared)))
      events = model.generate(prepared, args.request, { signal })
    } else {
      events = model.describe(request, { signal })
    }
  }
  for await (const event of events) {
    // The header waits for `started`, so an image that fails to decode leaves no orphan line on stdout.
    if (event.type === 'started' && !args.json && images.length > 0) io.out(`${images.join(', ')}:\n`)
    else if (event.type === 'progress' && args.verbose)
      io.err(`smolvlm: ${event.stage} ${event.ms.toFixed(0)} ms\n`)
    else if (event.type === 'token' && !args.json) io.out(event.text)
    else if (event.type === 'done') {
      if (!args.json) {
        io.out('\n')
        const s = event.stats
        io.err(
          `smolvlm: ${s.generatedTokens} tokens, ${s.tiles} tiles, ${s.inputTokens} input tokens, ` +
            `first token ${s.ttftMs.toFixed(0)} ms, ${s.tokensPerSecond.toFixed(1)} tok/s` +
            (event.cancelled ? ' (cancelled)' : '') +
            '\n'
        )
        continue
      }
      const s = event.stats
      io.out(
        JSON.stringify({
          images,
          prompt,
          text: event.text,
          tokenIds: event.tokenIds,
          inputTokens: s.inputTokens,
          tiles: s.tiles,
          device: model.info.provider,
          variant: variantLabel(model),
          cancelled: event.cancelled,
          timings: {
            preprocessMs: s.preprocessMs,
            visionMs: s.visionMs,
            prefillMs: s.prefillMs,
            ttftMs: s.ttftMs,
            decodeMs: s.decodeMs,
            tokensPerSecond: s.tokensPerSecond,
            totalMs: s.totalMs
          }
        }) + '\n'
      )
    }
  }
}

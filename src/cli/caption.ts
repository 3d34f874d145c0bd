import { writeFile } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import { parseArgs } from 'node:util'
import { SmolvlmError } from '../engine/errors.ts'
import { expandImagePaths } from '../engine/image-paths.ts'
import { readInputsFile, serializeInputs } from '../engine/inputs-file.ts'
import { isVariant, readModelConfig } from '../engine/model-files.ts'
import type { ModelConfig, Variant } from '../engine/model-files.ts'
import { isDevice } from '../engine/runtime.ts'
import {
  CAPTION_KINDS,
  METADATA_MODES,
  METADATA_POLICIES,
  XMP_NAMINGS
} from '../metadata/caption-metadata.ts'
import type { XmpNaming } from '../metadata/caption-metadata.ts'
import type { Device } from '../engine/runtime.ts'
import type { Sampling } from '../engine/sampling.ts'
import { DEFAULT_MAX_NEW_TOKENS, DEFAULT_PROMPT, SmolVLM } from '../engine/smolvlm.ts'
import type { DescribeEvent, DescribeRequest } from '../engine/smolvlm.ts'
import { CaptionOutputs, metadataJson, metadataLine } from './caption-outputs.ts'
import type { MetadataArgs } from './caption-outputs.ts'
import { captionInBatches, DEFAULT_BATCH_SIZE } from './caption-batch.ts'
import { resolveModelDir } from './model-arg.ts'
import { ResultsFile } from './results-file.ts'
import { inShard, parseShard } from './shard.ts'
import type { Shard } from './shard.ts'
import { choice, UsageError } from './usage.ts'

export const CAPTION_USAGE = `Usage: smolvlm caption [options] <image or folder...>

  Folders are searched recursively for images (.jpg .jpeg .png .webp .gif .tif .tiff .avif; hidden
  entries skipped), in name order. Put -- before image names that start with a dash.

  --model <dir|id>        model folder, or a catalog id from the model store (or $SMOLVLM_MODEL)
  --variant <name>        fp32 | fp16 | int8 | uint8 | quantized | q4 | q4f16 | bnb4
                          (default: fp32 where installed, else the installed precision)
  --device <name>         auto | cpu | webgpu | cuda | dml | coreml (default auto)
  --prompt <text>         default "${DEFAULT_PROMPT}"
  --max-new-tokens <n>    1 up to the model's context (max_position_embeddings); default ${DEFAULT_MAX_NEW_TOKENS}
  --greedy                pick the most likely token (default)
  --temperature <t>       sample instead (0 < t <= 10); only then may these follow:
    --top-p <p>           0 < p <= 1
    --top-k <k>           1 to 100000
    --seed <n>            0 to 4294967295 (same seed, same caption)
  --repetition-penalty <r> 0 < r <= 10
  --no-split              one global tile per image (fast mode)
  --longest-edge <px>     resize target of the longest side before tiling: from the model's tile size to 8192
  --together              all images in one prompt (otherwise one caption per image)
  --threads <n>           onnxruntime threads (default: all cores; more than the cores warns)
  --json                  one JSON line per image on stdout, a result or {"image", "error": {"code", "message"}};
                          messages and progress go to stderr
  --verbose               print each stage's time (preprocess, vision, prefill) on stderr
  --dump-inputs <file>    write the model inputs (input_ids, pixel_values, pixel_attention_mask) to a JSON file
  --inputs <file>         run from such a file instead of images and prompt

  --batch-size <n>        images decoded together, 1 to 64 (default 4 where the model's decoder can batch, else 1:
                          32.4 vs 25.3 images/min measured in fast mode on the 256M model); output keeps argument order
  --shard <i/n>           describe only shard i of n (0 <= i < n): images split by a hash of their absolute path,
                          so n runs (on n machines) cover a set exactly once
  --resume <file>         append each result line (failures too) to this JSON-lines file, one whole line at a time,
                          and skip the images already in it; an unfinished last line from a killed run is removed

  --write-metadata <where> embedded | xmp: the caption into each image's metadata (XMP dc:description, EXIF
                          ImageDescription, IPTC Caption-Abstract where IPTC exists), or into an .xmp sidecar;
                          RAW files always get a sidecar. Pixels are checked unchanged; no _original files
  --metadata-policy <p>   skip | replace | append, when a description is already there (default skip)
  --caption-kind <k>      description | alt-text (also IPTC Alt Text) | keywords (dc:subject); default description
  --xmp-naming <n>        darktable (photo.jpg.xmp, default) | adobe (photo.xmp)
  --skip-described        leave out images that already have a description in their metadata or .xmp sidecar
  --no-history            do not keep the captions in the library (smolvlm search); it lives under the store
                          root (SMOLVLM_HOME when set)

  Exit codes: 0 every image described, 1 some failed, 2 nothing could run (usage, model), 130 interrupted.
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
  readonly batchSize?: number
  readonly shard?: Shard
  readonly resume?: string
  readonly request: Omit<DescribeRequest, 'images'>
  readonly metadata: MetadataArgs | null
  readonly history: boolean
  readonly skipDescribed: boolean
  readonly xmpNaming: XmpNaming
}

function skipDescribed(skip: boolean, together: boolean): boolean {
  if (skip && together)
    throw new UsageError(
      '--skip-described looks at one image per caption; it cannot be used with --together.'
    )
  return skip
}

function metadataArgs(
  values: Record<string, string | boolean | undefined>,
  together: boolean
): MetadataArgs | null {
  const mode = values['write-metadata']
  const dependent = ['metadata-policy', 'caption-kind', 'xmp-naming'].filter(
    (n) => values[n] !== undefined && !(n === 'xmp-naming' && values['skip-described'])
  )
  if (mode === undefined) {
    if (dependent.length > 0) throw new UsageError(`--${dependent[0]} needs --write-metadata embedded|xmp.`)
    return null
  }
  if (together)
    throw new UsageError('--write-metadata writes one caption per image; it cannot be used with --together.')
  return {
    mode: choice(mode as string, 'write-metadata', METADATA_MODES, 'embedded'),
    policy: choice(
      values['metadata-policy'] as string | undefined,
      'metadata-policy',
      METADATA_POLICIES,
      'skip'
    ),
    kind: choice(values['caption-kind'] as string | undefined, 'caption-kind', CAPTION_KINDS, 'description'),
    naming: choice(values['xmp-naming'] as string | undefined, 'xmp-naming', XMP_NAMINGS, 'darktable')
  }
}

/** A number option: undefined when absent, a UsageError naming the allowed range when outside it. */
function numberOption(
  value: string | undefined,
  name: string,
  check: (n: number) => boolean,
  range: string
): number | undefined {
  if (value === undefined) return undefined
  const n = value.trim() === '' ? Number.NaN : Number(value)
  if (!Number.isFinite(n) || !check(n))
    throw new UsageError(`--${name} ${value} is not valid: give ${range}.`)
  return n
}

const isInt = (min: number, max: number) => (n: number) => Number.isInteger(n) && n >= min && n <= max

/** --batch-size, --shard and --resume: one caption per image, from images (not --together, not --inputs). */
function perImageOptions(
  values: Record<string, string | boolean | undefined>
): Pick<CaptionArgs, 'batchSize' | 'shard' | 'resume'> {
  for (const name of ['batch-size', 'shard', 'resume'] as const) {
    if (values[name] === undefined) continue
    if (values['together'])
      throw new UsageError(`--${name} works on one caption per image; it cannot be used with --together.`)
    if (values['inputs'] !== undefined)
      throw new UsageError(`--${name} works on images; it cannot be used with --inputs.`)
  }
  const shard = values['shard'] as string | undefined
  return {
    batchSize: numberOption(
      values['batch-size'] as string | undefined,
      'batch-size',
      isInt(1, 64),
      'a whole number from 1 to 64'
    ),
    shard: shard === undefined ? undefined : parseShard(shard),
    resume: values['resume'] as string | undefined
  }
}

/** The bounds the app's settings and requests accept (src/shared/jobs.ts). */
const LONGEST_EDGE_MAX = 8192

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
        inputs: { type: 'string' },
        'batch-size': { type: 'string' },
        shard: { type: 'string' },
        resume: { type: 'string' },
        'write-metadata': { type: 'string' },
        'metadata-policy': { type: 'string' },
        'caption-kind': { type: 'string' },
        'xmp-naming': { type: 'string' },
        'no-history': { type: 'boolean' },
        'skip-described': { type: 'boolean' }
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
  const temperature = numberOption(
    values.temperature,
    'temperature',
    (n) => n > 0 && n <= 10,
    'a number above 0 and at most 10'
  )
  if (temperature === undefined) {
    // Greedy decoding has nothing to cut or seed: say so rather than silently ignore the option.
    for (const name of ['top-p', 'top-k', 'seed'] as const) {
      if (values[name] !== undefined) {
        throw new UsageError(
          `--${name} needs --temperature: it shapes sampling, and without --temperature the most likely token is picked every time.`
        )
      }
    }
  }
  const sampling: Sampling =
    temperature === undefined
      ? { kind: 'greedy' }
      : {
          kind: 'sample',
          temperature,
          topP: numberOption(
            values['top-p'],
            'top-p',
            (n) => n > 0 && n <= 1,
            'a number above 0 and at most 1'
          ),
          topK: numberOption(values['top-k'], 'top-k', isInt(1, 100_000), 'a whole number from 1 to 100000'),
          seed: numberOption(
            values.seed,
            'seed',
            isInt(0, 2 ** 32 - 1),
            'a whole number from 0 to 4294967295'
          )
        }
  return {
    model,
    variant: values.variant,
    device: values.device,
    threads: numberOption(values.threads, 'threads', isInt(1, 1024), 'a whole number from 1 to 1024'),
    json: values.json ?? false,
    verbose: values.verbose ?? false,
    together: values.together ?? false,
    dumpInputs: values['dump-inputs'],
    inputs: values.inputs,
    images: positionals,
    ...perImageOptions(values),
    metadata: metadataArgs(values, values.together ?? false),
    history: !(values['no-history'] ?? false),
    skipDescribed: skipDescribed(values['skip-described'] ?? false, values.together ?? false),
    xmpNaming: choice(values['xmp-naming'], 'xmp-naming', XMP_NAMINGS, 'darktable'),
    request: {
      prompt: values.prompt,
      maxNewTokens: numberOption(
        values['max-new-tokens'],
        'max-new-tokens',
        (n) => Number.isInteger(n) && n >= 1,
        "a whole number from 1 up to the model's context"
      ),
      sampling,
      repetitionPenalty: numberOption(
        values['repetition-penalty'],
        'repetition-penalty',
        (n) => n > 0 && n <= 10,
        'a number above 0 and at most 10'
      ),
      doImageSplitting: values['no-split'] ? false : undefined,
      longestEdge: numberOption(
        values['longest-edge'],
        'longest-edge',
        isInt(1, LONGEST_EDGE_MAX),
        `a whole number of pixels from the model's tile size to ${LONGEST_EDGE_MAX}`
      )
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

/**
 * Text for a terminal line: control characters in a file name (a newline, an ANSI escape sequence) are shown
 * escaped, so a name can neither split a line nor recolour the terminal. JSON output keeps the exact name.
 */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => {
    const named: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' }
    return named[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`
  })
}

function describeError(error: unknown): string {
  if (error instanceof SmolvlmError) return error.message
  return error instanceof Error ? error.message : String(error)
}

function errorCode(error: unknown): string {
  return error instanceof SmolvlmError ? error.code : 'internal'
}

/** The precision that ran: one name, or one per session when they differ. */
function variantLabel(model: SmolVLM): string | Record<string, string> {
  const variants = Object.fromEntries(model.info.sessions.map((s) => [s.session, s.variant]))
  const distinct = new Set(Object.values(variants))
  return distinct.size === 1 ? [...distinct][0] : variants
}

/**
 * Checks the options whose bounds come from the model: the answer must fit the context the model was trained
 * for (past it the cache cannot even be allocated), and a resize target below the tile size would only blur
 * each image before it is scaled back up to one tile.
 */
export function checkAgainstModel(args: CaptionArgs, config: ModelConfig): void {
  const context = config.text.maxPositions
  const maxNewTokens = args.request.maxNewTokens
  if (maxNewTokens !== undefined && Number.isFinite(context) && maxNewTokens > context) {
    throw new UsageError(
      `--max-new-tokens ${maxNewTokens} is beyond the model's context: it reads at most ` +
        `${context.toLocaleString('en-US')} tokens (max_position_embeddings); give 1 to ${context}.`
    )
  }
  const tile = config.preprocess.tileSize
  const longestEdge = args.request.longestEdge
  if (longestEdge !== undefined && longestEdge < tile) {
    throw new UsageError(
      `--longest-edge ${longestEdge} is below the model's tile size of ${tile} px ` +
        `(max_image_size.longest_edge); give ${tile} to ${LONGEST_EDGE_MAX}.`
    )
  }
}

/** One unit of work: one image (or all of them with --together), or an error found before any of it ran. */
interface Job {
  readonly images: readonly string[]
  readonly error?: SmolvlmError
}

async function planJobs(args: CaptionArgs): Promise<Job[]> {
  if (args.inputs) return [{ images: [] }]
  const entries = await expandImagePaths(args.images)
  if (!args.together) return entries.map((e) => ({ images: [e.path], error: e.error }))
  const good = entries.filter((e) => !e.error).map((e) => e.path)
  return [
    ...entries.filter((e) => e.error).map((e) => ({ images: [e.path], error: e.error })),
    ...(good.length > 0 ? [{ images: good }] : [])
  ]
}

/** Runs `smolvlm caption`; returns the exit code (0 all fine, 1 some images failed, 2 nothing could run, 130 interrupted). */
export async function runCaption(argv: readonly string[], io: Output = stdio): Promise<number> {
  const args = parseCaptionArgs(argv)
  const dir = await resolveModelDir(args.model)
  // The configs are read again by the load; an unreadable one is left for the load to report.
  const config = await readModelConfig(dir).catch(() => undefined)
  if (config) checkAgainstModel(args, config)
  const cores = availableParallelism()
  if (args.threads !== undefined && args.threads > cores) {
    io.err(
      `smolvlm: warning: --threads ${args.threads} is more than the ${cores} cores here; ` +
        `extra threads only compete for them (slower, not faster).\n`
    )
  }
  let jobs = await planJobs(args)
  if (args.dumpInputs && jobs.length > 1) {
    io.err('smolvlm: --dump-inputs writes one job; use it with one image or --together\n')
    return 2
  }
  if (args.shard) jobs = shardJobs(jobs, args.shard, io)
  let results: ResultsFile | null = null
  if (args.resume) {
    try {
      results = openResults(args.resume, io)
    } catch (error) {
      io.err(
        `smolvlm: cannot use ${printable(args.resume)} for --resume: ${printable(describeError(error))}\n`
      )
      return 2
    }
    const before = jobs.length
    const file = results
    jobs = jobs.filter((job) => !file.has(job.images[0]))
    io.err(
      `smolvlm: ${printable(args.resume)}: ${before - jobs.length} of ${before} images already there, ` +
        `${jobs.length} to describe\n`
    )
  }
  if (jobs.length === 0) {
    // All done already, or nothing in this shard: no model to load.
    results?.close()
    return 0
  }
  let model: SmolVLM
  try {
    model = await SmolVLM.load(dir, { variant: args.variant, device: args.device, threads: args.threads })
  } catch (error) {
    results?.close()
    io.err(`smolvlm: cannot load the model: ${printable(describeError(error))}\n`)
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
  let failures = 0
  let finished = 0
  const outputs = new CaptionOutputs({
    metadata: args.inputs ? null : args.metadata,
    history: args.history && !args.inputs,
    warn: io.err
  })
  const ctx: RunContext = { model, args, outputs, results }
  const batchSize = args.batchSize ?? (model.canBatch ? DEFAULT_BATCH_SIZE : 1)
  const batched = batchSize > 1 && jobs.length > 1 && !args.together && !args.inputs
  const controller = new AbortController()
  const onSignal = () => {
    if (controller.signal.aborted) {
      // A second Ctrl-C: whatever is still running (a read, a native call) is not waited for.
      io.err('smolvlm: interrupted again; stopping now\n')
      process.exit(130)
    }
    controller.abort()
  }
  process.on('SIGINT', onSignal)
  try {
    if (batched) {
      // Per image, the same steps as the loop below; describeBatch decodes up to batchSize images together.
      const runs = new Map<number, CaptionRun>()
      await captionInBatches(model, jobs.length, { batchSize, signal: controller.signal }, io, {
        before: async (index, out) => {
          const job = jobs[index]
          out.err(`[${index + 1}/${jobs.length}] ${printable(job.images.join(', '))}\n`)
          if (job.error) throw job.error
          if (await skipIfDescribed(ctx, job.images, out)) {
            finished++
            return null
          }
          runs.set(index, new CaptionRun(ctx, job.images, out, args.request.prompt ?? DEFAULT_PROMPT))
          return { ...args.request, images: job.images }
        },
        event: async (index, event) => {
          const run = runs.get(index)
          if (!run) return
          await run.event(event)
          if (event.type !== 'done') return
          if (run.completed) finished++
          runs.delete(index)
        },
        failed: (index, error, out) => {
          failures++
          finished++
          reportFailure(ctx, jobs[index].images, error, out)
        }
      })
    }
    for (const [index, job] of (batched ? [] : jobs).entries()) {
      if (controller.signal.aborted) break
      if (jobs.length > 1) io.err(`[${index + 1}/${jobs.length}] ${printable(job.images.join(', '))}\n`)
      try {
        if (job.error) throw job.error
        if (await skipIfDescribed(ctx, job.images, io)) {
          finished++
          continue
        }
        const completed = await runJob(ctx, job.images, io, controller.signal)
        if (completed) finished++
      } catch (error) {
        if (controller.signal.aborted) break
        failures++
        finished++
        reportFailure(ctx, job.images, error, io)
      }
    }
  } finally {
    process.off('SIGINT', onSignal)
    results?.close()
    await outputs.close()
    await model.dispose()
  }
  if (controller.signal.aborted) {
    const total = jobs.reduce((n, job) => n + Math.max(job.images.length, 1), 0)
    const left = jobs.slice(finished).reduce((n, job) => n + Math.max(job.images.length, 1), 0)
    io.err(`smolvlm: interrupted; ${left} of ${total} image${total === 1 ? '' : 's'} not described\n`)
    return 130
  }
  return failures > 0 ? 1 : 0
}

/** --shard: the jobs whose image falls in this shard (a path that cannot be used too, so one shard reports it). */
function shardJobs(jobs: Job[], shard: Shard, io: Output): Job[] {
  const mine = jobs.filter((job) => inShard(job.images[0], shard))
  io.err(`smolvlm: shard ${shard.index}/${shard.count}: ${mine.length} of ${jobs.length} images\n`)
  return mine
}

function openResults(path: string, io: Output): ResultsFile {
  const opened = ResultsFile.open(path)
  if (opened.truncatedBytes > 0)
    io.err(
      `smolvlm: ${printable(path)}: removed an unfinished last line (${opened.truncatedBytes} bytes) ` +
        `left by a run that was stopped\n`
    )
  if (opened.unreadable > 0)
    io.err(`smolvlm: ${printable(path)}: ${opened.unreadable} lines are not results of one image; ignored\n`)
  return opened.file
}

/** What a caption run needs besides its images: the same for the one-at-a-time loop and for batches. */
interface RunContext {
  readonly model: SmolVLM
  readonly args: CaptionArgs
  readonly outputs: CaptionOutputs
  /** --resume: every result line is appended to it as well. */
  readonly results: ResultsFile | null
}

/** A result line: on stdout with --json, and appended to the --resume file (which keeps no cancelled one). */
function emit(ctx: RunContext, io: Output, record: Record<string, unknown>): void {
  const line = JSON.stringify(record)
  if (ctx.args.json) io.out(line + '\n')
  ctx.results?.append(line)
}

/** --skip-described: true, with the image reported as skipped, when it already has a description. */
async function skipIfDescribed(ctx: RunContext, images: readonly string[], io: Output): Promise<boolean> {
  const { args, outputs } = ctx
  const single = images.length === 1 ? images[0] : undefined
  const described =
    args.skipDescribed && single !== undefined ? await outputs.describedAlready(single, args.xmpNaming) : null
  if (single === undefined || described === null) return false
  io.err(`smolvlm: ${printable(single)}: skipped, it already has a description in its metadata\n`)
  emit(ctx, io, { image: single, images: [single], skipped: 'already described', description: described })
  return true
}

function reportFailure(ctx: RunContext, images: readonly string[], error: unknown, io: Output): void {
  const { args } = ctx
  const message = describeError(error)
  const label = images.length > 0 ? images.join(', ') : (args.inputs ?? '')
  // Messages about a path already start with it.
  io.err(`smolvlm: ${printable(label && !message.startsWith(label) ? `${label}: ${message}` : message)}\n`)
  if (!args.json && !ctx.results) return
  const where = args.inputs
    ? { inputs: args.inputs }
    : images.length === 1
      ? { image: images[0], images }
      : { images }
  emit(ctx, io, { ...where, error: { code: errorCode(error), message } })
}

async function runJob(
  ctx: RunContext,
  images: readonly string[],
  io: Output,
  signal: AbortSignal
): Promise<boolean> {
  const { model, args } = ctx
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
  const run = new CaptionRun(ctx, images, io, prompt)
  for await (const event of events) await run.event(event)
  return run.completed
}

/** One caption's events to the terminal, the metadata, the library and the results file; alone or in a batch. */
class CaptionRun {
  completed = false

  constructor(
    private readonly ctx: RunContext,
    private readonly images: readonly string[],
    private readonly io: Output,
    private readonly prompt: string
  ) {}

  async event(event: DescribeEvent): Promise<void> {
    const { model, args, outputs } = this.ctx
    const { images, io, prompt } = this
    // The header waits for `started`, so an image that fails to decode leaves no orphan line on stdout.
    if (event.type === 'started' && !args.json && images.length > 0)
      io.out(`${printable(images.join(', '))}:\n`)
    else if (event.type === 'progress' && args.verbose)
      io.err(`smolvlm: ${event.stage} ${event.ms.toFixed(0)} ms\n`)
    else if (event.type === 'token' && !args.json) io.out(event.text)
    else if (event.type === 'done') {
      this.completed = !event.cancelled
      // One caption per image: the metadata and the library get it (a --together caption goes to the library only).
      let metadata: ReturnType<typeof metadataJson> | undefined
      if (this.completed) {
        for (const image of images) {
          const report = await outputs.finished({
            image,
            prompt,
            text: event.text,
            model: args.model,
            variant: JSON.stringify(variantLabel(model)).replace(/^"|"$/g, ''),
            device: model.info.provider
          })
          if (report) {
            metadata = metadataJson(report)
            if (!args.json) io.err(`smolvlm: metadata: ${printable(metadataLine(report))}\n`)
          }
        }
      }
      if (!args.json) {
        io.out('\n')
        const s = event.stats
        io.err(
          `smolvlm: ${s.generatedTokens} tokens, ${s.tiles} tiles, ${s.inputTokens} input tokens, ` +
            `first token ${s.ttftMs.toFixed(0)} ms, ${s.tokensPerSecond.toFixed(1)} tok/s` +
            (event.cancelled ? ' (cancelled)' : '') +
            '\n'
        )
        if (!this.ctx.results) return
      }
      const s = event.stats
      emit(this.ctx, io, {
        ...(images.length === 1 ? { image: images[0] } : {}),
        images,
        prompt,
        text: event.text,
        tokenIds: event.tokenIds,
        inputTokens: s.inputTokens,
        tiles: s.tiles,
        device: model.info.provider,
        variant: variantLabel(model),
        cancelled: event.cancelled,
        ...(metadata ? { metadata } : {}),
        timings: {
          preprocessMs: s.preprocessMs,
          visionMs: s.visionMs,
          prefillMs: s.prefillMs,
          ttftMs: s.ttftMs,
          decodeMs: s.decodeMs,
          tokensPerSecond: s.tokensPerSecond,
          totalMs: s.totalMs
        }
      })
    }
  }
}

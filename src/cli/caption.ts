import { writeFile } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import { parseArgs } from 'node:util'
import type { SmolvlmError } from '../engine/errors.ts'
import { expandImagePaths } from '../engine/image-paths.ts'
import { readInputsFile, serializeInputs } from '../engine/inputs-file.ts'
import { readModelConfig } from '../engine/model-files.ts'
import { DEFAULT_PROMPT, SmolVLM } from '../engine/smolvlm.ts'
import type { DescribeEvent, DescribeRequest } from '../engine/smolvlm.ts'
import { describableImage, RawPreviewReader } from '../metadata/raw-preview.ts'
import type { RawPreview } from '../metadata/raw-preview.ts'
import { CaptionOutputs } from './caption-outputs.ts'
import type { CaptionFileArgs } from './caption-outputs.ts'
import { captionInBatches, DEFAULT_BATCH_SIZE } from './caption-batch.ts'
import {
  CAPTION_FILE_OPTION_TABLE,
  CAPTION_FILE_USAGE,
  CAPTION_OPTION_TABLE,
  captionFileArgs,
  checkAgainstModel,
  isInt,
  MODEL_OPTIONS_USAGE,
  numberOption,
  OUTPUT_OPTIONS_USAGE,
  parseCaptionOptions
} from './caption-options.ts'
import type { CaptionOptions, OptionValues } from './caption-options.ts'
import { CaptionRun, describeError, emit, printable, reportFailure, stdio } from './caption-run.ts'
import type { Output, RunContext } from './caption-run.ts'
import { resolveModelDir } from './model-arg.ts'
import { ResultsFile } from './results-file.ts'
import { inShard, parseShard } from './shard.ts'
import type { Shard } from './shard.ts'
import { UsageError } from './usage.ts'

// Moved to caption-run.ts (search and models import them from here).
export { printable }
export type { Output }

export const CAPTION_USAGE = `Usage: smolvlm caption [options] <image or folder...>

  Folders are searched recursively for images (.jpg .jpeg .png .webp .gif .tif .tiff .avif .heic .heif, and
  camera RAW: .dng .cr2 .cr3 .nef .arw .raf .orf … described from their embedded JPEG preview; hidden entries
  skipped), in name order. Put -- before image names that start with a dash.

${MODEL_OPTIONS_USAGE}  --together              all images in one prompt (otherwise one caption per image)
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

${OUTPUT_OPTIONS_USAGE}  --skip-described        leave out images that already have a description in their metadata or .xmp sidecar
  --no-history            do not keep the captions in the library (smolvlm search); it lives under the store
                          root (SMOLVLM_HOME when set)

${CAPTION_FILE_USAGE}
  Exit codes: 0 every image described, 1 some failed, 2 nothing could run (usage, model), 130 interrupted.
`

interface CaptionArgs extends CaptionOptions {
  readonly together: boolean
  readonly dumpInputs?: string
  readonly inputs?: string
  readonly images: readonly string[]
  readonly batchSize?: number
  readonly shard?: Shard
  readonly resume?: string
  readonly skipDescribed: boolean
  readonly captionFile: CaptionFileArgs | null
}

function skipDescribed(skip: boolean, together: boolean): boolean {
  if (skip && together)
    throw new UsageError(
      '--skip-described looks at one image per caption; it cannot be used with --together.'
    )
  return skip
}

/** --batch-size, --shard and --resume: one caption per image, from images (not --together, not --inputs). */
function perImageOptions(values: OptionValues): Pick<CaptionArgs, 'batchSize' | 'shard' | 'resume'> {
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

export function parseCaptionArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): CaptionArgs {
  let parsed
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        ...CAPTION_OPTION_TABLE,
        together: { type: 'boolean' },
        'dump-inputs': { type: 'string' },
        inputs: { type: 'string' },
        'batch-size': { type: 'string' },
        shard: { type: 'string' },
        resume: { type: 'string' },
        'skip-described': { type: 'boolean' },
        ...CAPTION_FILE_OPTION_TABLE
      }
    })
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error))
  }
  const { values, positionals } = parsed
  const together = values.together ?? false
  const options = parseCaptionOptions(values, env, { oneCaptionPerImage: !together })
  if (!values.inputs && positionals.length === 0)
    throw new UsageError('Give at least one image (or --inputs <file>).')
  return {
    ...options,
    together,
    dumpInputs: values['dump-inputs'],
    inputs: values.inputs,
    images: positionals,
    ...perImageOptions(values),
    skipDescribed: skipDescribed(values['skip-described'] ?? false, together),
    captionFile: captionFileArgs(values, together, options.keywords !== null)
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
    captionFile: args.inputs ? null : args.captionFile,
    history: args.history && !args.inputs,
    warn: io.err
  })
  const ctx: RunContext<CaptionArgs> = { model, args, outputs, results }
  // RAW files are described from their embedded preview: one ExifTool process, started by the first RAW.
  const rawPreviews = new RawPreviewReader()
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
          const described = await describable(job.images, rawPreviews)
          const prompt = args.request.prompt ?? DEFAULT_PROMPT
          runs.set(index, new CaptionRun(ctx, job.images, out, prompt, described.previews))
          return { ...args.request, images: described.inputs }
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
        const completed = await runJob(ctx, job.images, io, controller.signal, rawPreviews)
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
    await rawPreviews.close()
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

/** --skip-described: true, with the image reported as skipped, when it already has a description. */
async function skipIfDescribed(
  ctx: RunContext<CaptionArgs>,
  images: readonly string[],
  io: Output
): Promise<boolean> {
  const { args, outputs } = ctx
  const single = images.length === 1 ? images[0] : undefined
  const described =
    args.skipDescribed && single !== undefined ? await outputs.describedAlready(single, args.xmpNaming) : null
  if (single === undefined || described === null) return false
  io.err(`smolvlm: ${printable(single)}: skipped, it already has a description in its metadata\n`)
  emit(ctx, io, { image: single, images: [single], skipped: 'already described', description: described })
  return true
}

async function runJob(
  ctx: RunContext<CaptionArgs>,
  images: readonly string[],
  io: Output,
  signal: AbortSignal,
  rawPreviews: RawPreviewReader
): Promise<boolean> {
  const { model, args } = ctx
  let events: AsyncGenerator<DescribeEvent>
  let prompt = args.request.prompt ?? DEFAULT_PROMPT
  let previews: readonly (RawPreview | undefined)[] = []
  if (args.inputs) {
    events = model.generate(await readInputsFile(args.inputs), args.request, { signal })
    prompt = ''
  } else {
    const described = await describable(images, rawPreviews)
    previews = described.previews
    const request: DescribeRequest = { ...args.request, images: described.inputs }
    if (args.dumpInputs) {
      const prepared = await model.prepare(request, { withPixels: true })
      await writeFile(args.dumpInputs, JSON.stringify(serializeInputs(prepared)))
      events = model.generate(prepared, args.request, { signal })
    } else {
      events = model.describe(request, { signal })
    }
  }
  const run = new CaptionRun(ctx, images, io, prompt, previews)
  for await (const event of events) await run.event(event)
  return run.completed
}

/** The images as the engine takes them: RAW files become their embedded preview (see src/metadata/raw-preview.ts). */
async function describable(images: readonly string[], reader: RawPreviewReader) {
  const described = []
  for (const image of images) described.push(await describableImage(image, reader))
  return { inputs: described.map((d) => d.input), previews: described.map((d) => d.preview) }
}

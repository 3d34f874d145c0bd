/**
 * `smolvlm watch <folder>`: describes whatever lands in a folder (camera imports, screenshots, dataset drops), each
 * image once its writing has finished and at most once per content and options, across restarts (src/watch).
 * The options and outputs are caption's (caption-options.ts, caption-run.ts): the same request, the same
 * --write-metadata, the same library, the same JSON lines with --json.
 */
import { realpath, stat } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { isSmolvlmError } from '../engine/errors.ts'
import { fileErrorReason } from '../engine/image-paths.ts'
import { readModelConfig } from '../engine/model-files.ts'
import { DEFAULT_MAX_NEW_TOKENS, DEFAULT_PROMPT, SmolVLM } from '../engine/smolvlm.ts'
import { defaultStoreRoot } from '../store/layout.ts'
import { DoneLedger, ledgerFile, optionsKey } from '../watch/done-ledger.ts'
import type { DoneOutcome } from '../watch/done-ledger.ts'
import { DEFAULT_SETTLE_MS, FolderWatch } from '../watch/folder-watch.ts'
import type { ReadyImage, WatchNotice } from '../watch/folder-watch.ts'
import { CaptionOutputs } from './caption-outputs.ts'
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
import type { CaptionOptions } from './caption-options.ts'
import type { CaptionFileArgs } from './caption-outputs.ts'
import { describableImage, RawPreviewReader } from '../metadata/raw-preview.ts'
import { CaptionRun, describeError, printable, reportFailure, stdio, variantLabel } from './caption-run.ts'
import type { Output, RunContext } from './caption-run.ts'
import { resolveModelDir } from './model-arg.ts'
import { UsageError } from './usage.ts'

export const WATCH_USAGE = `Usage: smolvlm watch [options] <folder>

  Describes the images that land in a folder, each once its writing has finished (size and modification time
  unchanged for --settle-ms, header readable) and at most once per content: what is done is remembered under the
  store root (SMOLVLM_HOME when set), by the file's SHA-256 and the options, so a restart does not describe an
  image again, a changed image is described again, and so is every image when the model, prompt or outputs change.
  Hidden files, partial downloads and temp files (.part, .crdownload, .download, .tmp, ~$…, .!sync, …) and files
  that are not images (caption files, .xmp sidecars) are ignored. Runs until Ctrl-C.

  At start the images already there that are not done are described in name order ([n/N] progress), one at a
  time; images arriving meanwhile go first. --new-only leaves the images already there.

  --recursive             watch the subfolders too (hidden folders left out)
  --settle-ms <n>         how long a file must stay unchanged to count as written: 50 to 600000 (default ${DEFAULT_SETTLE_MS})
  --new-only              describe only images that arrive or change from now on
${MODEL_OPTIONS_USAGE}  --threads <n>           onnxruntime threads (default: all cores)
  --json                  one JSON line per image on stdout, as smolvlm caption --json prints them (a result or
                          {"image", "error": {"code", "message"}}); messages and progress go to stderr
  --verbose               print each stage's time on stderr

${OUTPUT_OPTIONS_USAGE}  --no-history            do not keep the captions in the library (smolvlm search)

${CAPTION_FILE_USAGE}
  Exit codes: 130 stopped with Ctrl-C (the usual end), 2 nothing could run (usage, model, folder).
`

interface WatchArgs extends CaptionOptions {
  readonly captionFile: CaptionFileArgs | null
  readonly folder: string
  readonly recursive: boolean
  readonly settleMs: number
  readonly newOnly: boolean
}

export function parseWatchArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): WatchArgs {
  let parsed
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        ...CAPTION_OPTION_TABLE,
        recursive: { type: 'boolean', short: 'r' },
        'settle-ms': { type: 'string' },
        'new-only': { type: 'boolean' },
        ...CAPTION_FILE_OPTION_TABLE
      }
    })
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error))
  }
  const { values, positionals } = parsed
  const options = parseCaptionOptions(values, env)
  if (positionals.length !== 1)
    throw new UsageError(
      positionals.length === 0 ? 'Name the folder to watch.' : 'Watch one folder at a time.'
    )
  return {
    ...options,
    folder: positionals[0]!,
    recursive: values.recursive ?? false,
    newOnly: values['new-only'] ?? false,
    captionFile: captionFileArgs(values, false, options.keywords !== null),
    settleMs:
      numberOption(
        values['settle-ms'],
        'settle-ms',
        isInt(50, 600_000),
        'a whole number from 50 to 600000'
      ) ?? DEFAULT_SETTLE_MS
  }
}

/** A failure that belongs to the file's content (worth remembering until the file changes), not to the moment. */
function contentFault(error: unknown): boolean {
  return isSmolvlmError(error) && (error.code === 'bad-image' || error.code === 'image-too-large')
}

async function unchanged(image: ReadyImage): Promise<boolean> {
  const info = await stat(image.path).catch(() => null)
  return info !== null && info.size === image.size && info.mtimeMs === image.mtimeMs
}

async function watchedFolder(folder: string): Promise<string> {
  let info
  try {
    info = await stat(folder)
  } catch (error) {
    throw new UsageError(`${folder} ${fileErrorReason(error)}.`)
  }
  if (!info.isDirectory()) throw new UsageError(`${folder} is not a folder.`)
  // Events name real paths; so must the ledger.
  return realpath(folder)
}

function noticeLine(notice: WatchNotice, verbose: boolean): string | null {
  switch (notice.type) {
    case 'listed':
      return null
    case 'done-already':
      return verbose ? `smolvlm: ${printable(notice.path)}: done already, skipped\n` : null
    case 'queued':
      return verbose ? `smolvlm: ${printable(notice.path)}: written, waiting for its turn\n` : null
    case 'ignored':
      return verbose ? `smolvlm: ${printable(notice.path)}: ignored (${notice.reason})\n` : null
    case 'warning':
      return `smolvlm: warning: ${printable(notice.message)}\n`
  }
}

/** Runs `smolvlm watch` until Ctrl-C; returns the exit code (130 stopped, 2 nothing could run). */
export async function runWatch(argv: readonly string[], io: Output = stdio): Promise<number> {
  const args = parseWatchArgs(argv)
  const root = await watchedFolder(args.folder)
  const dir = await resolveModelDir(args.model)
  const config = await readModelConfig(dir).catch(() => undefined)
  if (config) checkAgainstModel(args, config)
  let model: SmolVLM
  try {
    model = await SmolVLM.load(dir, { variant: args.variant, device: args.device, threads: args.threads })
  } catch (error) {
    io.err(`smolvlm: cannot load the model: ${printable(describeError(error))}\n`)
    return 2
  }
  const prompt = args.request.prompt ?? DEFAULT_PROMPT
  // Everything that changes the caption or where it goes; the device and threads do not.
  const key = optionsKey({
    model: dir,
    variant: variantLabel(model),
    ...args.request,
    prompt,
    maxNewTokens: args.request.maxNewTokens ?? DEFAULT_MAX_NEW_TOKENS,
    metadata: args.metadata,
    keywords: args.keywords,
    captionFile: args.captionFile
  })
  const ledger = DoneLedger.open(ledgerFile(defaultStoreRoot(), root))
  const outputs = new CaptionOutputs({
    metadata: args.metadata,
    captionFile: args.captionFile,
    history: args.history,
    warn: io.err
  })
  const ctx: RunContext = { model, args, outputs, results: null }
  const rawPreviews = new RawPreviewReader()
  const controller = new AbortController()
  let watch: FolderWatch | null = null
  const onSignal = () => {
    if (controller.signal.aborted) {
      io.err('smolvlm: interrupted again; stopping now\n')
      process.exit(130)
    }
    controller.abort()
    void watch?.stop()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  let described = 0
  let failed = 0
  try {
    try {
      watch = await FolderWatch.start({
        root,
        recursive: args.recursive,
        settleMs: args.settleMs,
        existing: args.newOnly ? 'skip' : 'describe',
        ledger,
        key,
        onNotice: (notice) => {
          const line = noticeLine(notice, args.verbose)
          if (line) io.err(line)
        }
      })
    } catch (error) {
      io.err(`smolvlm: cannot watch ${printable(root)}: ${printable(describeError(error))}\n`)
      return 2
    }
    if (controller.signal.aborted) await watch.stop()
    io.err(
      `smolvlm: watching ${printable(root)}${args.recursive ? ' and its subfolders' : ''}` +
        (args.newOnly
          ? ' for new images'
          : `: ${watch.waiting} image${watch.waiting === 1 ? '' : 's'} there, those not done yet first`) +
        ' (Ctrl-C stops)\n'
    )
    let index = 0
    for (;;) {
      const item = await watch.next()
      if (!item) break
      index++
      io.err(`[${index}/${index + watch.waiting}] ${printable(item.path)}\n`)
      if ('error' in item) {
        failed++
        reportFailure(ctx, [item.path], item.error, io)
        continue
      }
      let outcome: DoneOutcome | 'not-done' = 'not-done'
      try {
        const image = await describableImage(item.path, rawPreviews)
        const run = new CaptionRun(ctx, [item.path], io, prompt, [image.preview])
        const events = model.describe(
          { ...args.request, images: [image.input] },
          { signal: controller.signal }
        )
        for await (const event of events) await run.event(event)
        if (run.completed) {
          outcome = 'described'
          described++
        }
      } catch (error) {
        if (!controller.signal.aborted) {
          failed++
          reportFailure(ctx, [item.path], error, io)
          if (contentFault(error) && (await unchanged(item))) outcome = 'failed'
        }
      }
      await watch.complete(item, outcome)
      if (controller.signal.aborted) break
      if (watch.waiting === 0) io.err('smolvlm: all caught up; waiting for new images\n')
    }
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    await watch?.stop()
    ledger.close()
    await outputs.close()
    await rawPreviews.close()
    await model.dispose()
  }
  io.err(
    `smolvlm: stopped watching; ${described} image${described === 1 ? '' : 's'} described` +
      (failed > 0 ? `, ${failed} failed` : '') +
      '\n'
  )
  return 130
}

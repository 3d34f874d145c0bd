import { parseArgs } from 'node:util'
import type { ParseArgsConfig } from 'node:util'
import { SmolvlmError } from '../engine/errors.ts'
import { isVariant, SESSION_NAMES } from '../engine/model-files.ts'
import type { SessionName, Variant, VariantChoice } from '../engine/model-files.ts'
import {
  choiceWarnings,
  defaultStoreRoot,
  describeChoice,
  formatBytes,
  formatDuration,
  ModelStore
} from '../store/index.ts'
import type { InstalledModel, PullProgress } from '../store/index.ts'
import type { Output } from './caption.ts'
import { UsageError } from './usage.ts'

export const MODELS_USAGE = `Usage: smolvlm models <command> [options]

Commands:
  list                        the catalog and what is installed (--json)
  pull <id|owner/name>        download a model from the hub, resuming any earlier partial download
      --variant <v>           fp32 | fp16 | uint8 | quantized | q4 | q4f16 | bnb4, or per session:
                              vision_encoder=fp32,embed_tokens=q4,decoder_model_merged=q4
                              (default: the catalog's CPU choice; q4 for other repositories)
      --revision <r>          branch, tag or commit (default: the installed commit, else main)
      --json                  print the installed folder and its files (size, sha256) on stdout
  verify <id|dir>             read every file again and compare it with its recorded sha256 (--json)
  rm <id>                     delete an installed model (<id>@<revision> for one revision)
  import <dir>                add a folder laid out like the hub repository (config files on top, onnx/ below)
      --copy                  copy it into the store (default: use it where it is)
      --repo <owner/name>     the repository it is a copy of (checked against the catalog's hashes)
      --json                  print the imported model on stdout
  du                          disk space used by the store (--json)

The store lives in $SMOLVLM_HOME (default: the per-user data folder + /smolvlm); downloads come from
$SMOLVLM_HUB_URL (default https://huggingface.co). Ctrl-C pauses a pull; run it again to resume.
Exit status: 0 done, 1 the operation failed (or verify found damage), 2 a usage error or nothing to act on.
`

export interface ModelsOutput extends Output {
  /** stderr is a terminal: progress is one line rewritten in place. */
  readonly errIsTTY: boolean
}

const stdio: ModelsOutput = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  errIsTTY: process.stderr.isTTY === true
}

function parse<T extends NonNullable<ParseArgsConfig['options']>>(argv: readonly string[], options: T) {
  try {
    return parseArgs({ args: [...argv], allowPositionals: true, strict: true, options })
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error))
  }
}

function onePositional(positionals: string[], what: string, command: string): string {
  if (positionals.length !== 1) throw new UsageError(`smolvlm models ${command} takes one ${what}.`)
  return positionals[0]!
}

/** "q4" or "vision_encoder=fp32,decoder_model_merged=q4". */
export function parseVariantChoice(text: string): VariantChoice {
  if (!text.includes('=')) {
    if (!isVariant(text)) throw new UsageError(`Unknown variant "${text}".`)
    return text
  }
  const choice: Partial<Record<SessionName, Variant>> = {}
  for (const part of text.split(',')) {
    const [session, variant] = part.split('=') as [string, string | undefined]
    if (!(SESSION_NAMES as readonly string[]).includes(session)) {
      throw new UsageError(`Unknown session "${session}" in --variant (${SESSION_NAMES.join(', ')}).`)
    }
    if (variant === undefined || !isVariant(variant))
      throw new UsageError(`Unknown variant "${variant ?? ''}" for ${session}.`)
    choice[session as SessionName] = variant
  }
  return choice
}

/** Exit status for a store error: 2 when there was nothing to act on, 1 when the operation itself failed. */
function failure(io: Output, error: unknown): number {
  if (!(error instanceof SmolvlmError)) throw error
  io.err(`smolvlm: ${error.message}\n`)
  return error.code === 'bad-request' || error.code === 'model-missing' ? 2 : 1
}

function summary(model: InstalledModel): string {
  const variants = model.variants.length > 0 ? model.variants.join(', ') : 'no complete variant'
  return `${model.id} (${variants}, ${formatBytes(model.sizeBytes)}) in ${model.dir}`
}

/** Runs `smolvlm models …`; returns the exit status. */
export async function runModels(
  argv: readonly string[],
  io: ModelsOutput = stdio,
  env: NodeJS.ProcessEnv = process.env
): Promise<number> {
  const [command, ...rest] = argv
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    io.out(MODELS_USAGE)
    return command === undefined ? 2 : 0
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(MODELS_USAGE)
    return 0
  }
  const store = new ModelStore({ root: defaultStoreRoot(env), hubUrl: env['SMOLVLM_HUB_URL'] })
  switch (command) {
    case 'list':
      return list(store, rest, io)
    case 'pull':
      return pull(store, rest, io)
    case 'verify':
      return verify(store, rest, io)
    case 'rm':
    case 'remove':
      return remove(store, rest, io)
    case 'import':
      return importFolder(store, rest, io)
    case 'du':
      return diskUsage(store, rest, io)
    default:
      throw new UsageError(`Unknown models command "${command}".`)
  }
}

async function list(store: ModelStore, argv: readonly string[], io: Output): Promise<number> {
  const { values, positionals } = parse(argv, { json: { type: 'boolean' } })
  if (positionals.length > 0) throw new UsageError('smolvlm models list takes no arguments.')
  const installed = await store.installed()
  const partial = await store.partialDownloads()
  if (values.json) {
    const catalog = store.catalog().map(({ knownFiles: _known, ...entry }) => entry)
    io.out(JSON.stringify({ root: store.root, catalog, installed, partial }) + '\n')
    return 0
  }
  io.out(`Catalog (store: ${store.root})\n`)
  for (const entry of store.catalog()) {
    const copies = installed.filter((m) => m.id === entry.id)
    const state =
      copies.length === 0
        ? `not installed (CPU choice: ${describeChoice(entry.recommended.cpu)})`
        : copies.map((m) => `${m.variants.join(', ') || 'damaged'} ${formatBytes(m.sizeBytes)}`).join('; ')
    io.out(`  ${entry.id.padEnd(14)} ${entry.title.padEnd(14)} ${state}\n`)
  }
  const others = installed.filter((m) => !store.catalog().some((e) => e.id === m.id))
  if (others.length > 0) {
    io.out('Other installed models\n')
    for (const m of others) {
      io.out(
        `  ${m.id}  ${m.variants.join(', ') || 'damaged'}  ${formatBytes(m.sizeBytes)}  ${m.source} @ ${m.revision.slice(0, 12)}\n`
      )
    }
  }
  const damaged = installed.filter((m) => m.problems.length > 0)
  for (const m of damaged) io.out(`  ! ${m.id}: ${m.problems[0]}\n`)
  if (partial.length > 0) {
    io.out('Paused downloads (pull again to resume)\n')
    for (const p of partial) {
      const of = p.total !== undefined ? ` of ${formatBytes(p.total)}` : ''
      io.out(`  ${p.id}  ${describeChoice(p.choice)}  ${formatBytes(p.bytes)}${of}\n`)
    }
  }
  return 0
}

/** Progress on stderr: one line rewritten in place on a terminal; otherwise a plain line per event worth one. */
class ProgressPrinter {
  private lastLine = 0
  private lastPlain = 0
  private lastPhase: PullProgress['phase'] | undefined
  private readonly announced = new Set<string>()
  private width = 0

  constructor(
    private readonly io: ModelsOutput,
    private readonly name: string
  ) {}

  update(p: PullProgress): void {
    const now = performance.now()
    if (p.notice) this.line(describeNotice(p))
    if (p.phase !== this.lastPhase) {
      this.lastPhase = p.phase
      if (p.phase === 'resolving') this.line(`${this.name}: asking the hub for the files`)
      if (p.phase === 'downloading') {
        const revision = p.revision ? ` @ ${p.revision.slice(0, 12)}` : ''
        this.line(
          `${p.repo ?? this.name}${revision}: ${p.files.filter((f) => f.state !== 'skipped').length} files, ${formatBytes(p.total)}`
        )
      }
    }
    for (const file of p.files) {
      if (file.state === 'done' && !this.announced.has(file.path)) {
        this.announced.add(file.path)
        if (!this.io.errIsTTY) this.line(`  done ${file.path} (${formatBytes(file.total)})`)
      }
    }
    if (p.phase !== 'downloading') return
    if (this.io.errIsTTY) {
      if (now - this.lastLine < 100) return
      this.lastLine = now
      const text = status(p)
      this.io.err(`\r${text}${' '.repeat(Math.max(0, this.width - text.length))}`)
      this.width = text.length
    } else if (now - this.lastPlain >= 5000) {
      this.lastPlain = now
      this.line(status(p))
    }
  }

  /** A line of its own (clearing the in-place line first on a terminal). */
  line(text: string): void {
    this.clear()
    this.io.err(`smolvlm: ${text}\n`)
  }

  clear(): void {
    if (this.io.errIsTTY && this.width > 0) {
      this.io.err(`\r${' '.repeat(this.width)}\r`)
      this.width = 0
    }
  }
}

function status(p: PullProgress): string {
  const percent = p.total > 0 ? `${Math.floor((100 * p.bytes) / p.total)}%` : ''
  const speed = p.bytesPerSecond > 0 ? `, ${formatBytes(Math.round(p.bytesPerSecond))}/s` : ''
  const eta = p.etaSeconds !== null && p.bytesPerSecond > 0 ? `, ${formatDuration(p.etaSeconds)} left` : ''
  return `${percent} ${formatBytes(p.bytes)} of ${formatBytes(p.total)}${speed}${eta}${p.file ? `  ${p.file}` : ''}`.trim()
}

function describeNotice(p: PullProgress): string {
  const n = p.notice!
  if (n.kind === 'resume')
    return `resuming ${n.file} from ${formatBytes(n.offset)} (kept from an earlier run)`
  if (n.kind === 'restart')
    return `${n.file}: the kept part failed the check (${n.reason}); downloading it again`
  const at = n.offset !== undefined ? ` at ${formatBytes(n.offset)}` : ''
  return `${n.reason}${at}; retrying in ${(n.delayMs / 1000).toFixed(1)} s (attempt ${n.attempt})`
}

async function pull(store: ModelStore, argv: readonly string[], io: ModelsOutput): Promise<number> {
  const { values, positionals } = parse(argv, {
    variant: { type: 'string' },
    revision: { type: 'string' },
    json: { type: 'boolean' }
  })
  const ref = onePositional(positionals, 'catalog id or owner/name', 'pull')
  const variant = values.variant !== undefined ? parseVariantChoice(values.variant) : undefined
  if (variant) for (const warning of choiceWarnings(variant)) io.err(`smolvlm: warning: ${warning}\n`)
  const printer = new ProgressPrinter(io, ref)
  const controller = new AbortController()
  const onSignal = () => controller.abort()
  process.once('SIGINT', onSignal)
  let model: InstalledModel
  try {
    model = await store.pull(ref, {
      variant,
      revision: values.revision,
      signal: controller.signal,
      onProgress: (p) => printer.update(p)
    })
  } catch (error) {
    printer.clear()
    return failure(io, error)
  } finally {
    process.off('SIGINT', onSignal)
  }
  printer.line(`installed ${summary(model)}`)
  if (values.json) io.out(JSON.stringify(model) + '\n')
  return 0
}

async function verify(store: ModelStore, argv: readonly string[], io: Output): Promise<number> {
  const { values, positionals } = parse(argv, { json: { type: 'boolean' } })
  const ref = onePositional(positionals, 'model id or folder', 'verify')
  let report
  try {
    report = await store.verify(ref)
  } catch (error) {
    return failure(io, error)
  }
  if (values.json) io.out(JSON.stringify(report) + '\n')
  for (const file of report.files) {
    if (file.status === 'ok') continue
    const detail = file.status === 'unverified' ? 'nothing states its hash' : file.status
    io.err(`smolvlm: ${file.path}: ${detail}\n`)
  }
  const checked = report.files.filter((f) => f.status === 'ok').length
  io.err(
    report.ok
      ? `smolvlm: ${report.id ?? report.dir}: ${checked} files match their sha256\n`
      : `smolvlm: ${report.id ?? report.dir} is damaged; run: smolvlm models pull ${report.id ?? '<id>'} to repair it\n`
  )
  return report.ok ? 0 : 1
}

async function remove(store: ModelStore, argv: readonly string[], io: Output): Promise<number> {
  const { positionals } = parse(argv, {})
  const ref = onePositional(positionals, 'model id', 'rm')
  try {
    await store.remove(ref)
  } catch (error) {
    return failure(io, error)
  }
  io.err(`smolvlm: removed ${ref}\n`)
  return 0
}

async function importFolder(store: ModelStore, argv: readonly string[], io: Output): Promise<number> {
  const { values, positionals } = parse(argv, {
    copy: { type: 'boolean' },
    repo: { type: 'string' },
    json: { type: 'boolean' }
  })
  const dir = onePositional(positionals, 'folder', 'import')
  let model: InstalledModel
  try {
    model = await store.importFolder(dir, { mode: values.copy ? 'copy' : 'in-place', repo: values.repo })
  } catch (error) {
    return failure(io, error)
  }
  io.err(`smolvlm: imported ${summary(model)}\n`)
  if (values.json) io.out(JSON.stringify(model) + '\n')
  return 0
}

async function diskUsage(store: ModelStore, argv: readonly string[], io: Output): Promise<number> {
  const { values, positionals } = parse(argv, { json: { type: 'boolean' } })
  if (positionals.length > 0) throw new UsageError('smolvlm models du takes no arguments.')
  const usage = await store.diskUsage()
  if (values.json) {
    io.out(JSON.stringify(usage) + '\n')
    return 0
  }
  for (const m of usage.models) {
    io.out(
      `${formatBytes(m.bytes).padStart(10)}  ${m.id} @ ${m.revision.slice(0, 12)}${m.complete ? '' : ' (partial)'}\n`
    )
  }
  io.out(`${formatBytes(usage.bytes).padStart(10)}  total in ${store.root}\n`)
  return 0
}

import { homedir } from 'node:os'
import path from 'node:path'
import { onnxFileName, resolveVariants, SESSION_NAMES } from '../engine/model-files.ts'
import type { SessionName, Variant, VariantChoice } from '../engine/model-files.ts'

/**
 * The store's root: SMOLVLM_HOME when set, else the platform's per-user data folder + /smolvlm
 * ($XDG_DATA_HOME or ~/.local/share on Linux, ~/Library/Application Support on macOS, %APPDATA% on Windows).
 * Models live under <root>/models.
 */
export function defaultStoreRoot(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform
): string {
  const paths = platform === 'win32' ? path.win32 : path.posix
  const explicit = env['SMOLVLM_HOME']
  if (explicit) return paths.resolve(explicit)
  const home = (platform === 'win32' ? env['USERPROFILE'] : env['HOME']) || homedir()
  // Local, not Roaming, AppData: gigabytes of models must not follow a roaming profile around.
  if (platform === 'win32')
    return paths.join(env['LOCALAPPDATA'] || paths.join(home, 'AppData', 'Local'), 'smolvlm')
  if (platform === 'darwin') return paths.join(home, 'Library', 'Application Support', 'smolvlm')
  const xdg = env['XDG_DATA_HOME']
  return paths.join(xdg && paths.isAbsolute(xdg) ? xdg : paths.join(home, '.local', 'share'), 'smolvlm')
}

/** The store's bookkeeping file in each model folder (see record.ts). */
export const RECORD_FILE = '.smolvlm-store.json'
/** Held while a pull writes into a folder, so two processes never write the same files. */
export const LOCK_FILE = '.smolvlm-store.lock'
export const PART_SUFFIX = '.part'

/** Store-owned model files: <root>/models/<owner>/<name>/<revision>/... exactly like the hub repository. */
export function modelsRoot(root: string): string {
  return path.join(root, 'models')
}

/** Records of folders used in place (imports the store does not own): <root>/imports/<owner>/<name>/<revision>/. */
export function importsRoot(root: string): string {
  return path.join(root, 'imports')
}

/** A revision as one folder name: commit shas stay as they are; a branch like refs/pr/1 becomes refs%2Fpr%2F1. */
export function revisionFolder(revision: string): string {
  return encodeURIComponent(revision)
}

const NAME_PART = /^[A-Za-z0-9][A-Za-z0-9._-]*$/

/** owner/name as the hub spells repository ids; refuses anything that could climb out of a folder. */
export function isRepoId(value: string): boolean {
  const parts = value.split('/')
  return parts.length === 2 && parts.every((p) => NAME_PART.test(p) && !p.includes('..') && p.length <= 96)
}

export function isCommitSha(value: string): boolean {
  return /^[0-9a-f]{40}$/.test(value)
}

/** One file of a pull or an import: where it lives in the repository and whether a 404 is acceptable. */
export interface PlannedFile {
  readonly path: string
  readonly optional: boolean
  /** The session and precision an ONNX file (or its external data) belongs to. */
  readonly session?: SessionName
  readonly variant?: Variant
}

/** What the engine reads (model-files.ts readModelConfig); a hub repository without them is not a SmolVLM model. */
export const REQUIRED_CONFIG_FILES = [
  'config.json',
  'generation_config.json',
  'preprocessor_config.json',
  'processor_config.json',
  'tokenizer.json',
  'tokenizer_config.json'
] as const

/** Newer repositories keep the chat template in its own file; older ones only in tokenizer_config.json. */
export const OPTIONAL_CONFIG_FILES = [
  'chat_template.json',
  'chat_template.jinja',
  'special_tokens_map.json',
  'added_tokens.json'
] as const

/** Large ONNX files keep their weights beside them: <file>.onnx_data, <file>.onnx_data_1, … (transformers.js naming). */
export function externalDataName(onnxPath: string, chunk: number): string {
  return `${onnxPath}_data${chunk === 0 ? '' : `_${chunk}`}`
}

export const MAX_EXTERNAL_DATA_CHUNKS = 32

/** The configuration files and the ONNX file of each session for a choice (external data is discovered later). */
export function planFiles(choice: VariantChoice): PlannedFile[] {
  const sessions = resolveVariants(choice)
  const files: PlannedFile[] = [
    ...REQUIRED_CONFIG_FILES.map((p) => ({ path: p, optional: false })),
    ...OPTIONAL_CONFIG_FILES.map((p) => ({ path: p, optional: true }))
  ]
  for (const session of SESSION_NAMES) {
    const variant = sessions[session]
    files.push({ path: onnxFileName(session, variant), optional: false, session, variant })
  }
  return files
}

/** A variant choice as text: "q4", or "vision_encoder=fp32,embed_tokens=q4,decoder_model_merged=q4". */
export function describeChoice(choice: VariantChoice): string {
  if (typeof choice === 'string') return choice
  const sessions = resolveVariants(choice)
  const values = new Set(Object.values(sessions))
  if (values.size === 1) return [...values][0] as string
  return SESSION_NAMES.map((s) => `${s}=${sessions[s]}`).join(',')
}

/** Joins a repository path (always with /) onto a folder. */
export function fileIn(dir: string, repoPath: string): string {
  return path.join(dir, ...repoPath.split('/'))
}

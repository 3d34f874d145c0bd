import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import { SmolvlmError } from './errors.ts'
import { notRegular, readRegularText } from './read-file.ts'

/** ONNX precisions as the official export names them (file suffixes of onnx/<session><suffix>.onnx). */
export const VARIANTS = ['fp32', 'fp16', 'int8', 'uint8', 'quantized', 'q4', 'q4f16', 'bnb4'] as const
export type Variant = (typeof VARIANTS)[number]

export const SESSION_NAMES = ['vision_encoder', 'embed_tokens', 'decoder_model_merged'] as const
export type SessionName = (typeof SESSION_NAMES)[number]

/** One variant for every session, or a choice per session (e.g. fp32 vision encoder + q4 decoder). */
export type VariantChoice = Variant | Partial<Record<SessionName, Variant>>

const SUFFIX: Record<Variant, string> = {
  fp32: '',
  fp16: '_fp16',
  int8: '_int8',
  uint8: '_uint8',
  quantized: '_quantized',
  q4: '_q4',
  q4f16: '_q4f16',
  bnb4: '_bnb4'
}

export function isVariant(value: string): value is Variant {
  return (VARIANTS as readonly string[]).includes(value)
}

export function onnxFileName(session: SessionName, variant: Variant): string {
  return `onnx/${session}${SUFFIX[variant]}.onnx`
}

export function resolveVariants(
  choice: VariantChoice,
  fallback: Variant = 'fp32'
): Record<SessionName, Variant> {
  if (typeof choice === 'string') {
    return { vision_encoder: choice, embed_tokens: choice, decoder_model_merged: choice }
  }
  return {
    vision_encoder: choice.vision_encoder ?? fallback,
    embed_tokens: choice.embed_tokens ?? fallback,
    decoder_model_merged: choice.decoder_model_merged ?? fallback
  }
}

/** Everything the engine needs from the model folder's JSON files, read once at load. */
export interface ModelConfig {
  readonly imageTokenId: number
  readonly scaleFactor: number
  readonly vocabSize: number
  readonly text: {
    readonly hiddenSize: number
    readonly numLayers: number
    readonly numKeyValueHeads: number
    readonly headDim: number
    /** The context the model was trained for (RoPE): longer prompts are refused. Infinity when unstated. */
    readonly maxPositions: number
  }
  readonly vision: { readonly imageSize: number; readonly patchSize: number }
  readonly imageSeqLen: number
  readonly preprocess: PreprocessConfig
  readonly generation: { readonly eosTokenIds: readonly number[] }
  readonly tokenizerJson: object
  readonly tokenizerConfig: Record<string, unknown>
  readonly chatTemplate: string
}

export interface PreprocessConfig {
  /** size.longest_edge: the whole image is resized so its longest side equals this (up or down). */
  readonly longestEdge: number
  /** max_image_size.longest_edge: the tile size the vision encoder takes. */
  readonly tileSize: number
  readonly doImageSplitting: boolean
  readonly rescaleFactor: number
  readonly imageMean: readonly [number, number, number]
  readonly imageStd: readonly [number, number, number]
  readonly resample: number
}

export interface ModelFiles {
  readonly dir: string
  readonly config: ModelConfig
  readonly sessions: Record<SessionName, { readonly path: string; readonly variant: Variant }>
}

/**
 * Whether a model file is there as a regular file. With a label, one that is there but is not a regular file
 * (a FIFO, a device, a folder) is an error naming it; without, it counts as absent.
 */
async function exists(path: string, label?: string): Promise<boolean> {
  let info
  try {
    info = await stat(path)
  } catch {
    return false
  }
  const problem = notRegular(info)
  if (problem !== undefined && label === undefined) return false
  if (problem !== undefined) throw new SmolvlmError('model-corrupt', `${label} ${problem}.`)
  return true
}

/** Model JSON files (tokenizer.json is the big one: a few MB; 256 MB bounds a hostile one). */
const MAX_JSON_BYTES = 256 * 1024 * 1024

function missing(error: unknown): boolean {
  const code = ((error as { cause?: NodeJS.ErrnoException }).cause ?? (error as NodeJS.ErrnoException)).code
  return code === 'ENOENT' || code === 'ENOTDIR'
}

async function readJson(dir: string, name: string, required: true): Promise<Record<string, unknown>>
async function readJson(
  dir: string,
  name: string,
  required: false
): Promise<Record<string, unknown> | undefined>
async function readJson(
  dir: string,
  name: string,
  required: boolean
): Promise<Record<string, unknown> | undefined> {
  const path = join(dir, name)
  let text: string
  try {
    text = await readRegularText(path, {
      maxBytes: MAX_JSON_BYTES,
      code: 'model-corrupt',
      label: `${name} in the model folder ${dir}`
    })
  } catch (error) {
    if (!missing(error)) throw error
    if (!required) return undefined
    throw new SmolvlmError('model-missing', `The model folder ${dir} has no ${name}.`)
  }
  try {
    const value: unknown = JSON.parse(text)
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not an object')
    return value as Record<string, unknown>
  } catch (cause) {
    throw new SmolvlmError('model-corrupt', `${name} in the model folder ${dir} is not valid JSON.`, {
      cause
    })
  }
}

function numberField(obj: Record<string, unknown> | undefined, key: string, file: string): number {
  const value = obj?.[key]
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new SmolvlmError('model-corrupt', `${file} has no numeric "${key}".`)
  }
  return value
}

function optionalNumber(obj: Record<string, unknown> | undefined, key: string): number | undefined {
  const value = obj?.[key]
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined
}

function triple(value: unknown, fallback: number): readonly [number, number, number] {
  if (Array.isArray(value) && value.length === 3 && value.every((v) => typeof v === 'number')) {
    return [value[0], value[1], value[2]]
  }
  if (typeof value === 'number') return [value, value, value]
  return [fallback, fallback, fallback]
}

function eosIds(generation: Record<string, unknown> | undefined, config: Record<string, unknown>): number[] {
  const raw =
    generation?.['eos_token_id'] ?? config['eos_token_id'] ?? record(config['text_config'])?.['eos_token_id']
  const ids = Array.isArray(raw) ? raw : [raw]
  return ids.filter((id): id is number => typeof id === 'number')
}

/** Reads and checks the JSON side of a model folder (configs, tokenizer, chat template). */
export async function readModelConfig(dir: string): Promise<ModelConfig> {
  const config = await readJson(dir, 'config.json', true)
  const preprocessor = await readJson(dir, 'preprocessor_config.json', true)
  const processor = await readJson(dir, 'processor_config.json', false)
  const generation = await readJson(dir, 'generation_config.json', false)
  const tokenizerJson = await readJson(dir, 'tokenizer.json', true)
  const tokenizerConfig = (await readJson(dir, 'tokenizer_config.json', false)) ?? {}
  const chatTemplate = await readChatTemplate(dir, tokenizerConfig)

  const text = record(config['text_config'])
  const vision = record(config['vision_config'])
  if (!text || !vision) {
    throw new SmolvlmError('model-corrupt', `config.json in ${dir} lacks text_config or vision_config.`)
  }
  const hiddenSize = numberField(text, 'hidden_size', 'config.json text_config')
  const numHeads = numberField(text, 'num_attention_heads', 'config.json text_config')
  const scaleFactor = optionalNumber(config, 'scale_factor') ?? 2
  const imageSize = numberField(vision, 'image_size', 'config.json vision_config')
  const patchSize = numberField(vision, 'patch_size', 'config.json vision_config')
  const patchesPerSide = imageSize / patchSize

  const size = record(preprocessor['size'])
  const maxImageSize = record(preprocessor['max_image_size'])
  // Class defaults of the Python Idefics3ImageProcessor when a key is absent.
  const preprocess: PreprocessConfig = {
    longestEdge: optionalNumber(size, 'longest_edge') ?? 4 * 364,
    tileSize: optionalNumber(maxImageSize, 'longest_edge') ?? 364,
    doImageSplitting: preprocessor['do_image_splitting'] !== false,
    rescaleFactor: optionalNumber(preprocessor, 'rescale_factor') ?? 1 / 255,
    imageMean: triple(preprocessor['image_mean'], 0.5),
    imageStd: triple(preprocessor['image_std'], 0.5),
    resample: optionalNumber(preprocessor, 'resample') ?? 1
  }
  if (preprocess.resample !== 1) {
    throw new SmolvlmError(
      'model-corrupt',
      `preprocessor_config.json asks for resample=${preprocess.resample}; only Lanczos (1) is supported.`
    )
  }

  const eos = eosIds(generation, config)
  if (eos.length === 0)
    throw new SmolvlmError('model-corrupt', `generation_config.json in ${dir} names no eos_token_id.`)

  return {
    imageTokenId: numberField(config, 'image_token_id', 'config.json'),
    scaleFactor,
    vocabSize: optionalNumber(text, 'vocab_size') ?? numberField(config, 'vocab_size', 'config.json'),
    text: {
      hiddenSize,
      numLayers: numberField(text, 'num_hidden_layers', 'config.json text_config'),
      numKeyValueHeads: optionalNumber(text, 'num_key_value_heads') ?? numHeads,
      headDim: optionalNumber(text, 'head_dim') ?? hiddenSize / numHeads,
      maxPositions: optionalNumber(text, 'max_position_embeddings') ?? Number.POSITIVE_INFINITY
    },
    vision: { imageSize, patchSize },
    imageSeqLen:
      optionalNumber(processor, 'image_seq_len') ??
      (patchesPerSide * patchesPerSide) / (scaleFactor * scaleFactor),
    preprocess,
    generation: { eosTokenIds: eos },
    tokenizerJson,
    tokenizerConfig,
    chatTemplate
  }
}

async function readChatTemplate(dir: string, tokenizerConfig: Record<string, unknown>): Promise<string> {
  const fromJson = (await readJson(dir, 'chat_template.json', false))?.['chat_template']
  if (typeof fromJson === 'string') return fromJson
  try {
    return await readRegularText(join(dir, 'chat_template.jinja'), {
      maxBytes: MAX_JSON_BYTES,
      code: 'model-corrupt',
      label: `chat_template.jinja in the model folder ${dir}`
    })
  } catch (error) {
    if (!missing(error)) throw error
    // fall through to tokenizer_config.json
  }
  const fromTokenizer = tokenizerConfig['chat_template']
  if (typeof fromTokenizer === 'string') return fromTokenizer
  throw new SmolvlmError(
    'model-missing',
    `The model folder ${dir} has no chat template (chat_template.json, chat_template.jinja or tokenizer_config.json).`
  )
}

/**
 * Vision encoders to use, in order, when a folder lacks the one of the precision asked for as one word. uint8
 * first: on a CPU it is 1.4x faster than fp32 with features that agree (cosine 0.9994), while the q4 encoder is no
 * faster than fp32 and agrees less (0.970; docs/performance.md), so the CPU download pairs a q4 decoder with it.
 * int8 is absent: onnxruntime cannot run its convolution.
 */
const VISION_SUBSTITUTES: readonly Variant[] = ['uint8', 'fp32', 'fp16', 'quantized', 'q4', 'q4f16', 'bnb4']

/** The vision encoder that loading one precision word uses from those a folder holds (undefined: none usable). */
function visionVariantFor(wanted: Variant, present: readonly Variant[]): Variant | undefined {
  return present.includes(wanted) ? wanted : VISION_SUBSTITUTES.find((variant) => present.includes(variant))
}

/**
 * The precision per session that loading one precision word means for a folder holding `present`: that precision
 * everywhere, except a vision encoder missing in it, which takes the first installed substitute. Undefined when the
 * decoder or the embeddings lack it (those decide the tokens, so they are never substituted).
 */
export function sessionVariantsFor(
  wanted: Variant,
  present: Readonly<Record<SessionName, readonly Variant[]>>
): Record<SessionName, Variant> | undefined {
  if (!present.decoder_model_merged.includes(wanted) || !present.embed_tokens.includes(wanted))
    return undefined
  const vision = visionVariantFor(wanted, present.vision_encoder)
  return vision ? { vision_encoder: vision, embed_tokens: wanted, decoder_model_merged: wanted } : undefined
}

/** Which precisions of one session's graph a folder holds. */
async function presentVariants(dir: string, session: SessionName): Promise<Variant[]> {
  const found = await Promise.all(VARIANTS.map((v) => exists(join(dir, onnxFileName(session, v)))))
  return VARIANTS.filter((_, i) => found[i])
}

/** Locates the ONNX files for the chosen variants and reads the configs; names the first missing file. */
export async function openModelFolder(dir: string, choice?: VariantChoice): Promise<ModelFiles> {
  try {
    if (!(await stat(dir)).isDirectory()) throw new Error('not a directory')
  } catch {
    throw new SmolvlmError('model-missing', `The model folder ${dir} does not exist.`)
  }
  const config = await readModelConfig(dir)
  const variants = resolveVariants(choice ?? (await installedVariantChoice(dir)) ?? 'fp32')
  if (typeof choice === 'string') {
    variants.vision_encoder = visionVariantFor(choice, await presentVariants(dir, 'vision_encoder')) ?? choice
  }
  const sessions = {} as Record<SessionName, { path: string; variant: Variant }>
  for (const name of SESSION_NAMES) {
    const file = onnxFileName(name, variants[name])
    const path = join(dir, file)
    if (!(await exists(path, `${file} in the model folder ${dir}`))) {
      throw new SmolvlmError(
        'model-missing',
        `The model folder ${dir} has no ${file} (needed for the ${variants[name]} variant).`
      )
    }
    sessions[name] = { path, variant: variants[name] }
  }
  return { dir, config, sessions }
}

/**
 * The precision to use per session when the caller names none: full precision where its file is present (the
 * reference's numbers), otherwise the first installed one in order of fidelity. The int8 vision encoder comes last:
 * onnxruntime lacks its int8 convolution on most builds.
 */
const FIDELITY_ORDER: readonly Variant[] = [
  'fp32',
  'fp16',
  'uint8',
  'quantized',
  'q4',
  'q4f16',
  'bnb4',
  'int8'
]

export async function installedVariantChoice(dir: string): Promise<Record<SessionName, Variant> | undefined> {
  const choice = {} as Record<SessionName, Variant>
  for (const session of SESSION_NAMES) {
    let found: Variant | undefined
    for (const variant of FIDELITY_ORDER) {
      if (await exists(join(dir, onnxFileName(session, variant)))) {
        found = variant
        break
      }
    }
    if (!found) return undefined
    choice[session] = found
  }
  return choice
}

/**
 * The options every command that captions images shares (`smolvlm caption`, `smolvlm watch`): the model, the
 * request (prompt, length, sampling, tiling), the output switches (--json, --verbose) and where a finished caption
 * goes besides the terminal (--write-metadata, the library). Each command adds its own options around them.
 */
import { isVariant } from '../engine/model-files.ts'
import type { ModelConfig, Variant } from '../engine/model-files.ts'
import { isDevice } from '../engine/runtime.ts'
import type { Device } from '../engine/runtime.ts'
import type { Sampling } from '../engine/sampling.ts'
import { DEFAULT_MAX_NEW_TOKENS, DEFAULT_PROMPT } from '../engine/smolvlm.ts'
import type { DescribeRequest } from '../engine/smolvlm.ts'
import {
  CAPTION_KINDS,
  METADATA_MODES,
  METADATA_POLICIES,
  XMP_NAMINGS
} from '../metadata/caption-metadata.ts'
import type { XmpNaming } from '../metadata/caption-metadata.ts'
import {
  DEFAULT_KEYWORD_OPTIONS,
  KEYWORD_LIMITS,
  KEYWORD_PROMPT,
  parseKeywordList
} from '../shared/keywords.ts'
import type { KeywordOptions } from '../shared/keywords.ts'
import { SIDECAR_POLICIES } from '../shared/results.ts'
import type { CaptionFileArgs, MetadataArgs } from './caption-outputs.ts'
import { choice, UsageError } from './usage.ts'

/** node:util parseArgs option table of the shared options. */
export const CAPTION_OPTION_TABLE = {
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
  threads: { type: 'string' },
  json: { type: 'boolean' },
  verbose: { type: 'boolean', short: 'v' },
  'write-metadata': { type: 'string' },
  'metadata-policy': { type: 'string' },
  'caption-kind': { type: 'string' },
  'xmp-naming': { type: 'string' },
  'no-history': { type: 'boolean' },
  keywords: { type: 'boolean' },
  'max-keywords': { type: 'string' },
  exclude: { type: 'string' },
  include: { type: 'string' },
  lowercase: { type: 'boolean' }
} as const

/** The usage lines of the model and request options. */
export const MODEL_OPTIONS_USAGE = `  --model <dir|id>        model folder, or a catalog id from the model store (or $SMOLVLM_MODEL)
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
`

/** The usage lines of the metadata and library options. */
export const OUTPUT_OPTIONS_USAGE = `  --write-metadata <where> embedded | xmp: the caption into each image's metadata (XMP dc:description, EXIF
                          ImageDescription, IPTC Caption-Abstract where IPTC exists), or into an .xmp sidecar;
                          RAW files always get a sidecar. Pixels are checked unchanged; no _original files
  --metadata-policy <p>   skip | replace | append, when a description is already there (default skip)
  --caption-kind <k>      description | alt-text (also IPTC Alt Text) | keywords (dc:subject); default description,
                          keywords with --keywords
  --xmp-naming <n>        darktable (photo.jpg.xmp, default) | adobe (photo.xmp)

  --keywords              keyword mode: asks "${KEYWORD_PROMPT}" (unless --prompt) and
                          turns the answer into a clean keyword list ("keywords" in --json, a keywords: line
                          otherwise, dc:subject with --write-metadata); the caption stays the model's answer
    --max-keywords <n>    at most n keywords, 1 to ${KEYWORD_LIMITS.maxCount} (default ${DEFAULT_KEYWORD_OPTIONS.maxCount}); --include ones count
    --exclude <a,b>       never these keywords (whole keyword, any case: excluding dog keeps hot dog)
    --include <a,b>       always these keywords, first (e.g. a trigger word)
    --lowercase           lowercase every keyword (default: as the model wrote them)
`

export type OptionValues = Record<string, string | boolean | undefined>

/** What the shared options say. */
export interface CaptionOptions {
  readonly model: string
  readonly variant?: Variant
  readonly device: Device
  readonly threads?: number
  readonly json: boolean
  readonly verbose: boolean
  readonly request: Omit<DescribeRequest, 'images'>
  readonly metadata: MetadataArgs | null
  readonly history: boolean
  readonly xmpNaming: XmpNaming
  /** --keywords: the options that turn each answer into its keyword list; null without --keywords. */
  readonly keywords: KeywordOptions | null
}

/** A number option: undefined when absent, a UsageError naming the allowed range when outside it. */
export function numberOption(
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

export const isInt = (min: number, max: number) => (n: number) => Number.isInteger(n) && n >= min && n <= max

/** The bounds the app's settings and requests accept (src/shared/jobs.ts). */
export const LONGEST_EDGE_MAX = 8192

/** --keywords and its dependent options (src/shared/keywords.ts); null without --keywords. */
export function keywordOptions(values: OptionValues): KeywordOptions | null {
  const dependent = ['max-keywords', 'exclude', 'include', 'lowercase'].filter((n) => values[n] !== undefined)
  if (!values['keywords']) {
    if (dependent.length > 0) throw new UsageError(`--${dependent[0]} needs --keywords.`)
    return null
  }
  return {
    maxCount:
      numberOption(
        values['max-keywords'] as string | undefined,
        'max-keywords',
        isInt(1, KEYWORD_LIMITS.maxCount),
        `a whole number from 1 to ${KEYWORD_LIMITS.maxCount}`
      ) ?? DEFAULT_KEYWORD_OPTIONS.maxCount,
    // The command line keeps the model's spelling unless asked: a script can lowercase, but not undo it.
    lowercase: (values['lowercase'] as boolean | undefined) ?? false,
    exclude: parseKeywordList((values['exclude'] as string | undefined) ?? ''),
    include: parseKeywordList((values['include'] as string | undefined) ?? ''),
    underscores: false
  }
}

/**
 * --write-metadata and its dependent options. `oneCaptionPerImage` is false for caption --together, which
 * cannot write one caption into each image.
 */
export function metadataArgs(values: OptionValues, oneCaptionPerImage = true): MetadataArgs | null {
  const mode = values['write-metadata']
  const dependent = ['metadata-policy', 'caption-kind', 'xmp-naming'].filter(
    (n) => values[n] !== undefined && !(n === 'xmp-naming' && values['skip-described'])
  )
  if (mode === undefined) {
    if (dependent.length > 0) throw new UsageError(`--${dependent[0]} needs --write-metadata embedded|xmp.`)
    return null
  }
  if (!oneCaptionPerImage)
    throw new UsageError('--write-metadata writes one caption per image; it cannot be used with --together.')
  return {
    mode: choice(mode as string, 'write-metadata', METADATA_MODES, 'embedded'),
    policy: choice(
      values['metadata-policy'] as string | undefined,
      'metadata-policy',
      METADATA_POLICIES,
      'skip'
    ),
    kind: choice(
      values['caption-kind'] as string | undefined,
      'caption-kind',
      CAPTION_KINDS,
      values['keywords'] ? 'keywords' : 'description'
    ),
    naming: choice(values['xmp-naming'] as string | undefined, 'xmp-naming', XMP_NAMINGS, 'darktable')
  }
}

function samplingOption(values: OptionValues): Sampling {
  if (values['greedy'] && values['temperature'] !== undefined) {
    throw new UsageError('--greedy and --temperature exclude each other.')
  }
  const temperature = numberOption(
    values['temperature'] as string | undefined,
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
    return { kind: 'greedy' }
  }
  return {
    kind: 'sample',
    temperature,
    topP: numberOption(
      values['top-p'] as string | undefined,
      'top-p',
      (n) => n > 0 && n <= 1,
      'a number above 0 and at most 1'
    ),
    topK: numberOption(
      values['top-k'] as string | undefined,
      'top-k',
      isInt(1, 100_000),
      'a whole number from 1 to 100000'
    ),
    seed: numberOption(
      values['seed'] as string | undefined,
      'seed',
      isInt(0, 2 ** 32 - 1),
      'a whole number from 0 to 4294967295'
    )
  }
}

/** The shared options from parseArgs values (CAPTION_OPTION_TABLE); UsageError for anything out of bounds. */
export function parseCaptionOptions(
  values: OptionValues,
  env: NodeJS.ProcessEnv = process.env,
  { oneCaptionPerImage = true }: { readonly oneCaptionPerImage?: boolean } = {}
): CaptionOptions {
  const model = (values['model'] as string | undefined) ?? env['SMOLVLM_MODEL']
  if (!model) throw new UsageError('Name a model with --model <dir|id> (or set SMOLVLM_MODEL).')
  const variant = values['variant'] as string | undefined
  if (variant !== undefined && !isVariant(variant)) throw new UsageError(`Unknown variant "${variant}".`)
  const device = (values['device'] as string | undefined) ?? 'auto'
  if (!isDevice(device)) throw new UsageError(`Unknown device "${device}".`)
  const sampling = samplingOption(values)
  const keywords = keywordOptions(values)
  return {
    model,
    variant,
    device,
    threads: numberOption(
      values['threads'] as string | undefined,
      'threads',
      isInt(1, 1024),
      'a whole number from 1 to 1024'
    ),
    json: (values['json'] as boolean | undefined) ?? false,
    verbose: (values['verbose'] as boolean | undefined) ?? false,
    metadata: metadataArgs(values, oneCaptionPerImage),
    history: !((values['no-history'] as boolean | undefined) ?? false),
    xmpNaming: choice(values['xmp-naming'] as string | undefined, 'xmp-naming', XMP_NAMINGS, 'darktable'),
    keywords,
    request: {
      prompt: (values['prompt'] as string | undefined) ?? (keywords ? KEYWORD_PROMPT : undefined),
      maxNewTokens: numberOption(
        values['max-new-tokens'] as string | undefined,
        'max-new-tokens',
        (n) => Number.isInteger(n) && n >= 1,
        "a whole number from 1 up to the model's context"
      ),
      sampling,
      repetitionPenalty: numberOption(
        values['repetition-penalty'] as string | undefined,
        'repetition-penalty',
        (n) => n > 0 && n <= 10,
        'a number above 0 and at most 10'
      ),
      doImageSplitting: values['no-split'] ? false : undefined,
      longestEdge: numberOption(
        values['longest-edge'] as string | undefined,
        'longest-edge',
        isInt(1, LONGEST_EDGE_MAX),
        `a whole number of pixels from the model's tile size to ${LONGEST_EDGE_MAX}`
      )
    }
  }
}

/**
 * Checks the options whose bounds come from the model: the answer must fit the context the model was trained
 * for (past it the cache cannot even be allocated), and a resize target below the tile size would only blur
 * each image before it is scaled back up to one tile.
 */
export function checkAgainstModel(args: Pick<CaptionOptions, 'request'>, config: ModelConfig): void {
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

/** node:util parseArgs option table of --write-txt and its options. */
export const CAPTION_FILE_OPTION_TABLE = {
  'write-txt': { type: 'boolean' },
  'txt-policy': { type: 'string' },
  'trigger-word': { type: 'string' },
  underscores: { type: 'boolean' }
} as const

export const CAPTION_FILE_USAGE = `  --write-txt             a caption file beside each image (photo.jpg → photo.txt), as the app's Save dialog
                          writes them; with --keywords the tags, comma-separated ("ohwx, dog, red ball")
    --txt-policy <p>      skip | overwrite | append | prefix, when the .txt is already there (default skip)
    --trigger-word <w>    first in every caption file (dataset trainers' trigger word), never twice
    --underscores         with --keywords: multi-word tags with underscores ("long_hair"), booru style
`

/** --write-txt and its dependent options. */
export function captionFileArgs(
  values: OptionValues,
  together: boolean,
  keywords: boolean
): CaptionFileArgs | null {
  const dependent = ['txt-policy', 'trigger-word', 'underscores'].filter((n) => values[n] !== undefined)
  if (!values['write-txt']) {
    if (dependent.length > 0) throw new UsageError(`--${dependent[0]} needs --write-txt.`)
    return null
  }
  if (together)
    throw new UsageError('--write-txt writes one caption file per image; it cannot be used with --together.')
  if (values['underscores'] && !keywords) throw new UsageError('--underscores needs --keywords.')
  const triggerWord = ((values['trigger-word'] as string | undefined) ?? '').trim()
  if (/[\r\n\0]/.test(triggerWord)) throw new UsageError('--trigger-word must be one line.')
  return {
    policy: choice(values['txt-policy'] as string | undefined, 'txt-policy', SIDECAR_POLICIES, 'skip'),
    triggerWord,
    underscores: (values['underscores'] as boolean | undefined) ?? false
  }
}

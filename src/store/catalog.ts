import { onnxFileName, resolveVariants, SESSION_NAMES, VARIANTS } from '../engine/model-files.ts'
import type { Variant, VariantChoice } from '../engine/model-files.ts'

export type CatalogId = 'smolvlm-256m' | 'smolvlm-500m' | 'smolvlm-2.2b'

/** A file whose size and sha256 are known before any download (from the repository's Git LFS pointers). */
export interface KnownFile {
  readonly path: string
  readonly size: number
  readonly sha256: string
}

export interface CatalogEntry {
  readonly id: CatalogId
  /** The hub repository, owner/name. */
  readonly repo: string
  readonly title: string
  readonly parameters: string
  /** The trade-off in one or two sentences, for the first-run screen and the model manager. */
  readonly summary: string
  /** Precisions the official ONNX export publishes (whether a file really exists is confirmed at download). */
  readonly variants: readonly Variant[]
  /** What to download when the user does not choose. Never an int8 vision encoder (ConvInteger with int8 weights is missing from onnxruntime). */
  readonly recommended: { readonly cpu: VariantChoice; readonly gpu: VariantChoice }
  /** Why the CPU recommendation is what it is, in a sentence for the model picker. */
  readonly recommendedWhy: string
  /** Sizes and hashes known in advance; absent where they are learned from the hub's headers at download time. */
  readonly knownFiles?: readonly KnownFile[]
  /** Bytes of the configuration and tokenizer files, when known (for download estimates). */
  readonly configBytes?: number
}

/**
 * The ONNX files of HuggingFaceTB/SmolVLM-256M-Instruct as its Git LFS pointers record them (path, bytes, sha256),
 * from the copy in GitHub repo xi-ix/smolvlm_256m_ft at commit 5f64bb97 (../shared/data/.../lfs-manifest.tsv).
 * The hub can change: a download trusts the hub's own X-Linked-Etag for the pinned commit and uses these only
 * when the hub states no hash; an import of a folder claiming to be this repo is checked against them.
 */
const SMOLVLM_256M_ONNX: readonly (readonly [string, number, string])[] = [
  [
    'onnx/decoder_model_merged.onnx',
    540640302,
    '5ae6a66fdf47680433aa6bcc512ae8f0b98c2db01bea055fc76ee37bb0389b78'
  ],
  [
    'onnx/decoder_model_merged_bnb4.onnx',
    78154897,
    '1016b8e6ecb95aa36da3f6ab32c8c955f83297ec9f219d08009eea33e6d1089e'
  ],
  [
    'onnx/decoder_model_merged_fp16.onnx',
    270414183,
    '925ffaf3af9336b4b4c064d77fa64128868d8cb915c257520708d3aa853bb4ae'
  ],
  [
    'onnx/decoder_model_merged_int8.onnx',
    137221530,
    '306fad6cec3b5b7613600b74abf1e410fa50000fbc81292c0d083bd8d85b5fe2'
  ],
  [
    'onnx/decoder_model_merged_q4.onnx',
    86562901,
    'e3fd81130e30715580cf148398e48e2925b6219bff75e17d2a77add35a363f65'
  ],
  [
    'onnx/decoder_model_merged_q4f16.onnx',
    77034560,
    '0a6b4e72e26025c190f37e2573ea2ce3336d95670da9c4b1fa662e47cc3d94a7'
  ],
  [
    'onnx/decoder_model_merged_quantized.onnx',
    137221644,
    '33f14f3bca52699d733d86fcc9c5a0ec6f57afffa1dc9596abde53cde9df81aa'
  ],
  [
    'onnx/decoder_model_merged_uint8.onnx',
    137221644,
    '33f14f3bca52699d733d86fcc9c5a0ec6f57afffa1dc9596abde53cde9df81aa'
  ],
  ['onnx/embed_tokens.onnx', 113541419, 'a68ea4058524059ed0e2873fdbc4f33b93e13ae3d3204938d32d0566d390ae00'],
  [
    'onnx/embed_tokens_bnb4.onnx',
    113541438,
    '47ed7029703cff586fd719d70251324766a6591c8a58d315076b1781a65fc900'
  ],
  [
    'onnx/embed_tokens_fp16.onnx',
    56770946,
    '019af59078b8e4775216dd278c66574c39bfefa36cab68573db64d7ac7a11691'
  ],
  [
    'onnx/embed_tokens_int8.onnx',
    28385824,
    '4b919b829fe2bf225e42431230c56891116f0149e5170e36c99bcc0cfae0d2ef'
  ],
  [
    'onnx/embed_tokens_q4.onnx',
    113541438,
    '47ed7029703cff586fd719d70251324766a6591c8a58d315076b1781a65fc900'
  ],
  [
    'onnx/embed_tokens_q4f16.onnx',
    56770965,
    'd810e0849eda8128be2d9cf1a2be9ca0bd8e5bfbe5bf972f60ea8e2a566f6bfe'
  ],
  [
    'onnx/embed_tokens_quantized.onnx',
    28385824,
    '4b919b829fe2bf225e42431230c56891116f0149e5170e36c99bcc0cfae0d2ef'
  ],
  [
    'onnx/embed_tokens_uint8.onnx',
    28385824,
    '4b919b829fe2bf225e42431230c56891116f0149e5170e36c99bcc0cfae0d2ef'
  ],
  ['onnx/vision_encoder.onnx', 374316497, 'e27ad810eabfa7c881b409e1ca357e7a951541019add228ff73c72718fcf6218'],
  [
    'onnx/vision_encoder_bnb4.onnx',
    58034739,
    '7d2b29e46fa0de326b63e92e751561cf28180d597ad0ad0859f92bf598944352'
  ],
  [
    'onnx/vision_encoder_fp16.onnx',
    187294693,
    '275c41d775508b7f7410580c4aaf67583a34acf23c31259effa8e53f67e8d9ae'
  ],
  [
    'onnx/vision_encoder_int8.onnx',
    94247927,
    'd534ab668d3563e6d1d809bbbf1ff18308ded48651178614dbcc4a1de13d16f7'
  ],
  [
    'onnx/vision_encoder_q4.onnx',
    63784987,
    '95814e6629ec465e7cf98a44edcee67abc06d41faa0d1acc410cf8a956cab488'
  ],
  [
    'onnx/vision_encoder_q4f16.onnx',
    55037584,
    '13c301dc0cbc79c8c23badc699129b47d05ba044e2274ca8a94681fcd4205fc1'
  ],
  [
    'onnx/vision_encoder_quantized.onnx',
    94247969,
    'f82adc84246fbfe8651038470166385452682cc889538f5106544e622e5f1595'
  ],
  [
    'onnx/vision_encoder_uint8.onnx',
    94247969,
    'f82adc84246fbfe8651038470166385452682cc889538f5106544e622e5f1595'
  ]
]

/**
 * The CPU download: 4-bit decoder (decoding reads every weight per token, so a quarter of the bytes is most of the
 * speed) with the 8-bit vision encoder. Measured on the full-size 256M graphs, 2 threads, one 512-px frame
 * (scripts/bench/vision-variants.ts): fp32 1,217 ms, uint8 885 ms (cosine 0.9994 with fp32's features), q4 1,307 ms
 * (cosine 0.970): the encoder's products are compute-bound, so 4-bit weights only add dequantisation. The
 * embeddings stay q4, which the official export ships as a full-precision copy (a Gather has nothing to quantise).
 */
const CPU_CHOICE: VariantChoice = { vision_encoder: 'uint8', embed_tokens: 'q4', decoder_model_merged: 'q4' }
const CPU_WHY =
  'On a CPU: the 4-bit decoder writes words fastest, and the 8-bit vision encoder reads an image about 1.4× ' +
  'faster than full precision while seeing it almost the same (the 4-bit one is slower and less faithful).'

/** Bytes of the 256M repo's configuration and tokenizer files (tokenizer.json is 3.5 MB of them). */
const SMOLVLM_256M_CONFIG_BYTES = 3_590_785

export const CATALOG: readonly CatalogEntry[] = [
  {
    id: 'smolvlm-256m',
    repo: 'HuggingFaceTB/SmolVLM-256M-Instruct',
    title: 'SmolVLM 256M',
    parameters: '256M',
    summary:
      'The smallest and fastest: short, useful descriptions on any laptop CPU, but it misses fine detail and ' +
      'small text. About 300 MB to download for a CPU; 1 GB at full precision.',
    variants: VARIANTS,
    recommended: { cpu: CPU_CHOICE, gpu: 'fp32' },
    recommendedWhy: CPU_WHY,
    knownFiles: SMOLVLM_256M_ONNX.map(([path, size, sha256]) => ({ path, size, sha256 })),
    configBytes: SMOLVLM_256M_CONFIG_BYTES
  },
  {
    id: 'smolvlm-500m',
    repo: 'HuggingFaceTB/SmolVLM-500M-Instruct',
    title: 'SmolVLM 500M',
    parameters: '500M',
    summary:
      'Better descriptions and text reading than 256M for about twice the work per image; still fine on a ' +
      'CPU. Roughly 0.5 GB quantized and 2 GB at full precision (the hub confirms the sizes when you download).',
    variants: VARIANTS,
    recommended: { cpu: CPU_CHOICE, gpu: 'fp32' },
    recommendedWhy: CPU_WHY
  },
  {
    id: 'smolvlm-2.2b',
    repo: 'HuggingFaceTB/SmolVLM-Instruct',
    title: 'SmolVLM 2.2B',
    parameters: '2.2B',
    summary:
      'The most detailed and accurate, and several times slower than 500M: best with a GPU. Several GB to ' +
      'download (the hub confirms the sizes when you download).',
    variants: VARIANTS,
    // fp32 weights of 2.2B (~9 GB) need external-data files and do not fit most GPUs; fp16 halves that.
    recommended: { cpu: CPU_CHOICE, gpu: 'fp16' },
    recommendedWhy: CPU_WHY
  }
]

export const DEFAULT_CATALOG_ID: CatalogId = 'smolvlm-256m'

/** What to download for a repository outside the catalog when the user names no variant. */
export const DEFAULT_VARIANT_CHOICE: VariantChoice = 'q4'

export function isCatalogId(value: string): value is CatalogId {
  return CATALOG.some((entry) => entry.id === value)
}

export function catalogEntryForRepo(
  repo: string,
  catalog: readonly CatalogEntry[] = CATALOG
): CatalogEntry | undefined {
  const wanted = repo.toLowerCase()
  return catalog.find((entry) => entry.repo.toLowerCase() === wanted)
}

/** The device-appropriate default; GPU means any accelerated provider (webgpu, cuda, dml, coreml). */
export function recommendedChoice(entry: CatalogEntry, device: 'cpu' | 'gpu'): VariantChoice {
  return entry.recommended[device]
}

/** Warnings about a choice that will download but not run. */
export function choiceWarnings(choice: VariantChoice): string[] {
  const sessions = resolveVariants(choice)
  return sessions.vision_encoder === 'int8'
    ? ['The int8 vision encoder does not run in onnxruntime; images cannot be described with it (use uint8).']
    : []
}

/** Bytes to download for a choice when every ONNX file's size is known in advance, else undefined. */
export function estimateDownloadBytes(entry: CatalogEntry, choice: VariantChoice): number | undefined {
  if (!entry.knownFiles) return undefined
  const sessions = resolveVariants(choice)
  const paths = new Set(SESSION_NAMES.map((session) => onnxFileName(session, sessions[session])))
  let bytes = entry.configBytes ?? 0
  for (const path of paths) {
    const known = entry.knownFiles.find((file) => file.path === path)
    if (!known) return undefined
    bytes += known.size
  }
  return bytes
}

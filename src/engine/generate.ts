import { SmolvlmError } from './errors.ts'
import { TokenChooser } from './sampling.ts'
import type { TokenChoiceOptions } from './sampling.ts'
import { readFloats } from './sessions.ts'
import type { RunClock } from './sessions.ts'
import type { DecoderCache } from './kv-cache.ts'
import { ort } from './runtime.ts'
import type { ModelSessions } from './sessions.ts'

/** The model's inputs after preprocessing and tokenisation (or loaded from a dump for parity testing). */
export interface ModelInputs {
  readonly inputIds: readonly number[]
  /** [1, frames, 3, tile, tile] */
  readonly pixelValues?: { readonly data: Float32Array; readonly dims: readonly number[] }
  /** [1, frames, tile, tile], 1 = real pixel */
  readonly pixelAttentionMask?: { readonly data: Uint8Array; readonly dims: readonly number[] }
}

export interface GenerationOptions extends TokenChoiceOptions {
  readonly maxNewTokens: number
  readonly stopTokenIds: ReadonlySet<number>
  readonly imageTokenId: number
  readonly hiddenSize: number
  /** Keep generating through end-of-utterance (benchmarks compare fixed token counts). */
  readonly ignoreEos?: boolean
  readonly signal?: AbortSignal
  /** Accumulates time spent inside onnxruntime. */
  readonly clock: RunClock
  /** Start from an earlier generation's cache for the first `length` ids (they must equal its ids). */
  readonly prefix?: { readonly snapshot: KvSnapshot; readonly length: number }
}

/** The decoder cache after a generation: the keys/values of every id fed to the decoder, in order. */
export interface KvSnapshot {
  readonly ids: readonly number[]
  /** By past_key_values.* input name, [1, kv heads, ids.length, head dim] each. */
  readonly cache: Readonly<Record<string, ort.Tensor>>
}

/** How many leading ids two sequences share. */
export function commonPrefixLength(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length)
  let i = 0
  while (i < n && a[i] === b[i]) i++
  return i
}

export type GenerationStep =
  { readonly type: 'prefill'; readonly ms: number } | { readonly type: 'token'; readonly id: number }

export interface GenerationResult {
  readonly tokenIds: number[]
  /** The cache at the end: every prompt id and every generated id but the last (which was never fed). */
  readonly snapshot?: KvSnapshot
  /** Prompt ids taken from a snapshot instead of being prefilled. */
  readonly reusedTokens: number
  readonly stoppedBy: 'eos' | 'max-tokens' | 'cancelled'
  readonly prefillMs: number
  /** From the call to the first token's id. */
  readonly ttftMs: number
  /** From the first token to the last. */
  readonly decodeMs: number
}

/** Writes each image feature row into the positions of the image tokens, in order (the reference's masked_scatter). */
export function mergeImageFeatures(
  embeds: Float32Array,
  inputIds: readonly number[],
  imageTokenId: number,
  features: Float32Array,
  hidden: number,
  from = 0
): void {
  const rows = features.length / hidden
  // Feature rows belong to the image tokens of the whole prompt; a suffix starts at the rows its prefix used.
  let row = inputIds.slice(0, from).filter((id) => id === imageTokenId).length
  for (let position = from; position < inputIds.length; position++) {
    if (inputIds[position] !== imageTokenId) continue
    if (row >= rows) break
    embeds.set(features.subarray(row * hidden, (row + 1) * hidden), (position - from) * hidden)
    row++
  }
  const imageTokens = inputIds.filter((id) => id === imageTokenId).length
  if (imageTokens !== rows) {
    throw new SmolvlmError(
      'bad-request',
      `The prompt has ${imageTokens} image tokens but the images produced ${rows} feature rows.`
    )
  }
}

const aborted = (signal: AbortSignal | undefined): boolean => signal?.aborted === true

/**
 * Token embeddings with the image features merged → prefill with an empty cache → one token per decoder step with
 * the growing cache (0-based positions, full-length attention mask), until a stop id or the token limit. Yields the
 * prefill time and each token id as soon as it is chosen.
 */
export async function* generateTokens(
  sessions: ModelSessions,
  inputIds: readonly number[],
  imageFeatures: Float32Array | undefined,
  options: GenerationOptions
): AsyncGenerator<GenerationStep, GenerationResult> {
  const start = performance.now()
  const { hiddenSize: hidden, signal, clock } = options
  const chooser = new TokenChooser(options, inputIds)
  const tokenIds: number[] = []
  let outputs: ort.InferenceSession.ReturnType | undefined
  const maxLength = inputIds.length + options.maxNewTokens
  const cache: DecoderCache = sessions.createCache(
    maxLength,
    options.prefix && { cache: options.prefix.snapshot.cache, length: options.prefix.length }
  )
  const snapshot = (): KvSnapshot | undefined =>
    outputs ? { ids: [...inputIds, ...tokenIds.slice(0, -1)], cache: cache.tensors() } : undefined
  const result = (
    stoppedBy: GenerationResult['stoppedBy'],
    times: Partial<GenerationResult>
  ): GenerationResult => ({
    tokenIds,
    stoppedBy,
    prefillMs: 0,
    ttftMs: 0,
    decodeMs: 0,
    ...times,
    reusedTokens: options.prefix?.length ?? 0,
    snapshot: snapshot()
  })
  if (options.maxNewTokens < 1) throw new SmolvlmError('bad-request', 'max new tokens must be at least 1.')
  if (aborted(signal)) return result('cancelled', {})

  const length = inputIds.length
  const reused = options.prefix?.length ?? 0
  const fresh = inputIds.slice(reused)
  const embeds = Float32Array.from(
    await sessions.embedTokens(
      BigInt64Array.from(fresh, (id) => BigInt(id)),
      clock
    )
  )
  if (imageFeatures) mergeImageFeatures(embeds, inputIds, options.imageTokenId, imageFeatures, hidden, reused)
  else if (fresh.includes(options.imageTokenId)) {
    throw new SmolvlmError('bad-request', 'The prompt has image tokens but no image was given.')
  }

  // Reused across steps: a run of ones for the attention mask, and one row of logits.
  const ones = new BigInt64Array(maxLength).fill(1n)
  let scratch = new Float32Array(0)
  const withPositions = sessions.hasPositionIds

  const feeds: Record<string, ort.Tensor> = {
    inputs_embeds: sessions.embedsTensor(embeds, fresh.length, hidden),
    attention_mask: new ort.Tensor('int64', ones.subarray(0, length), [1, length]),
    ...cache.feeds()
  }
  if (withPositions) {
    const positions = BigInt64Array.from(fresh, (_, i) => BigInt(reused + i))
    feeds['position_ids'] = new ort.Tensor('int64', positions, [1, fresh.length])
  }
  outputs = await clock.run(sessions.decoder.session, feeds, 'language model', cache.fetches?.())
  cache.update(outputs, fresh.length)
  const prefillMs = performance.now() - start
  yield { type: 'prefill', ms: prefillMs }

  let firstTokenAt = 0
  let total = length
  for (;;) {
    const logits = outputs['logits']
    const vocab = logits.dims[2]
    const rows = logits.dims[1]
    if (scratch.length !== vocab) scratch = new Float32Array(vocab)
    scratch.set(readFloats(logits, (rows - 1) * vocab, rows * vocab))
    const id = chooser.choose(scratch)
    tokenIds.push(id)
    if (tokenIds.length === 1) firstTokenAt = performance.now()
    yield { type: 'token', id }

    const times = { prefillMs, ttftMs: firstTokenAt - start, decodeMs: performance.now() - firstTokenAt }
    if (!options.ignoreEos && options.stopTokenIds.has(id)) return result('eos', times)
    if (tokenIds.length >= options.maxNewTokens) return result('max-tokens', times)
    if (aborted(signal)) return result('cancelled', times)

    const step: Record<string, ort.Tensor> = { ...cache.feeds() }
    const tokenEmbeds = await sessions.embedTokens(BigInt64Array.of(BigInt(id)), clock)
    step['inputs_embeds'] = sessions.embedsTensor(tokenEmbeds, 1, hidden)
    total++
    step['attention_mask'] = new ort.Tensor('int64', ones.subarray(0, total), [1, total])
    if (withPositions)
      step['position_ids'] = new ort.Tensor('int64', BigInt64Array.of(BigInt(total - 1)), [1, 1])
    outputs = await clock.run(sessions.decoder.session, step, 'language model', cache.fetches?.())
    cache.update(outputs, 1)
  }
}

import { SmolvlmError } from './errors.ts'

/** How the next token is chosen. Greedy is the reference's default (generation_config has do_sample false). */
export type Sampling =
  | { readonly kind: 'greedy' }
  | {
      readonly kind: 'sample'
      readonly temperature: number
      readonly topK?: number
      readonly topP?: number
      readonly seed?: number
    }

export interface TokenChoiceOptions {
  readonly sampling: Sampling
  /** > 1 discourages ids already in the sequence (prompt included, as the reference applies it). */
  readonly repetitionPenalty?: number
}

export function validateSampling(options: TokenChoiceOptions): void {
  const { sampling, repetitionPenalty } = options
  if (repetitionPenalty !== undefined && !(repetitionPenalty > 0 && Number.isFinite(repetitionPenalty))) {
    throw new SmolvlmError('bad-request', 'The repetition penalty must be a positive number.')
  }
  if (sampling.kind === 'greedy') return
  if (!(sampling.temperature > 0 && Number.isFinite(sampling.temperature))) {
    throw new SmolvlmError('bad-request', 'The temperature must be a positive number.')
  }
  if (sampling.topK !== undefined && !(Number.isInteger(sampling.topK) && sampling.topK >= 1)) {
    throw new SmolvlmError('bad-request', 'top-k must be a whole number of at least 1.')
  }
  if (sampling.topP !== undefined && !(sampling.topP > 0 && sampling.topP <= 1)) {
    throw new SmolvlmError('bad-request', 'top-p must be in (0, 1].')
  }
}

/** A small seeded generator (mulberry32): same seed, same samples, on every platform. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * Chooses next tokens from logits, owning the state that persists across steps (the set of ids seen for the
 * repetition penalty, the RNG). Logits are modified in place; the array is the engine's reusable scratch row.
 */
export class TokenChooser {
  private readonly seen = new Set<number>()
  private readonly random: () => number
  private readonly penalty: number
  private readonly sampling: Sampling

  constructor(options: TokenChoiceOptions, promptIds: readonly number[]) {
    validateSampling(options)
    this.sampling = options.sampling
    this.penalty = Math.fround(options.repetitionPenalty ?? 1)
    const seed = options.sampling.kind === 'sample' ? (options.sampling.seed ?? Date.now()) : 0
    this.random = seededRandom(seed)
    for (const id of promptIds) this.seen.add(id)
  }

  choose(logits: Float32Array): number {
    if (this.penalty !== 1) this.applyRepetitionPenalty(logits)
    const id = this.sampling.kind === 'greedy' ? argmax(logits) : this.sample(logits, this.sampling)
    this.seen.add(id)
    return id
  }

  /** transformers' RepetitionPenaltyLogitsProcessor: once per distinct id, negative × p, otherwise ÷ p (float32). */
  private applyRepetitionPenalty(logits: Float32Array): void {
    for (const id of this.seen) {
      const score = logits[id]
      logits[id] = score < 0 ? score * this.penalty : score / this.penalty
    }
  }

  private sample(logits: Float32Array, sampling: Extract<Sampling, { kind: 'sample' }>): number {
    if (sampling.topK === undefined && (sampling.topP === undefined || sampling.topP >= 1)) {
      return this.sampleFromAll(logits, sampling.temperature)
    }
    const candidates = topCandidates(logits, sampling.topK ?? logits.length)
    const temperature = sampling.temperature
    const max = logits[candidates[0]]
    const weights = candidates.map((id) => Math.exp((logits[id] - max) / temperature))
    const total = weights.reduce((a, b) => a + b, 0)
    // top-p: keep the smallest prefix of the sorted candidates whose probability reaches p (at least one).
    let keep = candidates.length
    if (sampling.topP !== undefined && sampling.topP < 1) {
      let cumulative = 0
      for (let i = 0; i < candidates.length; i++) {
        cumulative += weights[i] / total
        if (cumulative >= sampling.topP) {
          keep = i + 1
          break
        }
      }
    }
    let kept = 0
    for (let i = 0; i < keep; i++) kept += weights[i]
    let threshold = this.random() * kept
    for (let i = 0; i < keep; i++) {
      threshold -= weights[i]
      if (threshold <= 0) return candidates[i]
    }
    return candidates[keep - 1]
  }

  /** Plain temperature sampling: no sorting of the vocabulary needed. */
  private sampleFromAll(logits: Float32Array, temperature: number): number {
    const max = logits[argmax(logits)]
    let total = 0
    for (let i = 0; i < logits.length; i++) total += Math.exp((logits[i] - max) / temperature)
    let threshold = this.random() * total
    for (let i = 0; i < logits.length; i++) {
      threshold -= Math.exp((logits[i] - max) / temperature)
      if (threshold <= 0) return i
    }
    return logits.length - 1
  }
}

/** Index of the largest value; the first one on ties, as torch.argmax does. */
export function argmax(values: Float32Array): number {
  let best = 0
  let bestValue = values[0]
  for (let i = 1; i < values.length; i++) {
    if (values[i] > bestValue) {
      bestValue = values[i]
      best = i
    }
  }
  return best
}

/** Ids of the k largest logits, best first (a partial selection, not a full sort of the vocabulary). */
function topCandidates(logits: Float32Array, k: number): number[] {
  const limit = Math.min(k, logits.length)
  if (limit === logits.length) {
    return Array.from(logits.keys()).sort((a, b) => logits[b] - logits[a] || a - b)
  }
  const heap: number[] = []
  for (let id = 0; id < logits.length; id++) {
    if (heap.length < limit) {
      heap.push(id)
      if (heap.length === limit) heap.sort((a, b) => logits[b] - logits[a] || a - b)
      continue
    }
    if (logits[id] <= logits[heap[limit - 1]]) continue
    let position = limit - 1
    while (position > 0 && logits[heap[position - 1]] < logits[id]) {
      heap[position] = heap[position - 1]
      position--
    }
    heap[position] = id
  }
  if (heap.length < limit) heap.sort((a, b) => logits[b] - logits[a] || a - b)
  return heap
}

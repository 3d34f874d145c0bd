import { SmolvlmError } from './errors.ts'
import { mergeImageFeatures } from './generate.ts'
import type { GenerationResult } from './generate.ts'
import { ort } from './runtime.ts'
import { TokenChooser } from './sampling.ts'
import type { TokenChoiceOptions } from './sampling.ts'
import { readFloats } from './sessions.ts'
import type { ModelSessions, RunClock } from './sessions.ts'

/** One sequence of a batch: its prompt, its image features, how it picks and how long it may run. */
export interface BatchSequence extends TokenChoiceOptions {
  readonly inputIds: readonly number[]
  readonly imageFeatures?: Float32Array
  readonly maxNewTokens: number
  readonly ignoreEos?: boolean
  /** Ends this sequence only; the others go on. */
  readonly signal?: AbortSignal
}

export interface BatchOptions {
  readonly stopTokenIds: ReadonlySet<number>
  readonly imageTokenId: number
  readonly hiddenSize: number
  readonly clock: RunClock
  /** Ends every sequence. */
  readonly signal?: AbortSignal
}

export type BatchStep =
  | { readonly type: 'prefill'; readonly ms: number }
  | { readonly type: 'token'; readonly index: number; readonly id: number }
  | { readonly type: 'end'; readonly index: number; readonly result: GenerationResult }

/**
 * Several prompts of one length decoded together: one decoder run per step for all of them, which costs little more
 * than one sequence's step because a step is bound by reading the weights. Each sequence picks its own tokens and
 * stops on its own (a finished one keeps a row in the runs, fed its last token, until all are done); the tokens are
 * those of one-at-a-time generation (the rows never see each other: GroupQueryAttention attends within a row).
 * Needs `sessions.canBatch` (the official files' graph with the engine's cache edit).
 */
export async function* generateBatch(
  sessions: ModelSessions,
  sequences: readonly BatchSequence[],
  options: BatchOptions
): AsyncGenerator<BatchStep> {
  const start = performance.now()
  const batch = sequences.length
  const length = sequences[0]?.inputIds.length ?? 0
  if (batch === 0) return
  if (sequences.some((s) => s.inputIds.length !== length))
    throw new SmolvlmError('bad-request', 'A batch needs prompts of one length.')
  if (sequences.some((s) => s.maxNewTokens < 1))
    throw new SmolvlmError('bad-request', 'max new tokens must be at least 1.')
  const { hiddenSize: hidden, clock } = options
  const capacity = length + Math.max(...sequences.map((s) => s.maxNewTokens))
  const cache = sessions.createBatchCache(capacity, batch)
  const choosers = sequences.map((s) => new TokenChooser(s, s.inputIds))
  const tokens: number[][] = sequences.map(() => [])
  const firstTokenAt: number[] = sequences.map(() => 0)
  const lastTokenAt: number[] = sequences.map(() => 0)
  const ended: boolean[] = sequences.map(() => false)
  const aborted = (i: number) => options.signal?.aborted === true || sequences[i].signal?.aborted === true

  if (sequences.every((_, i) => aborted(i))) {
    for (let i = 0; i < batch; i++) {
      yield {
        type: 'end',
        index: i,
        result: {
          tokenIds: [],
          stoppedBy: 'cancelled',
          reusedTokens: 0,
          prefillMs: 0,
          ttftMs: 0,
          decodeMs: 0
        }
      }
    }
    return
  }

  const ids = BigInt64Array.from(sequences.flatMap((s) => s.inputIds.map((id) => BigInt(id))))
  const embeds = Float32Array.from(await sessions.embedTokens(ids, clock, batch))
  sequences.forEach((s, i) => {
    const row = embeds.subarray(i * length * hidden, (i + 1) * length * hidden)
    if (s.imageFeatures) mergeImageFeatures(row, s.inputIds, options.imageTokenId, s.imageFeatures, hidden)
    else if (s.inputIds.includes(options.imageTokenId))
      throw new SmolvlmError('bad-request', 'The prompt has image tokens but no image was given.')
  })

  const ones = new BigInt64Array(batch * capacity).fill(1n)
  const feeds: Record<string, ort.Tensor> = {
    inputs_embeds: sessions.embedsTensor(embeds, length, hidden, batch),
    attention_mask: new ort.Tensor('int64', ones.subarray(0, batch * length), [batch, length]),
    ...cache.feeds()
  }
  if (sessions.hasPositionIds) {
    const positions = BigInt64Array.from({ length: batch * length }, (_, i) => BigInt(i % length))
    feeds['position_ids'] = new ort.Tensor('int64', positions, [batch, length])
  }
  let outputs = await clock.run(sessions.decoder.session, feeds, 'language model')
  cache.update(outputs, length)
  const prefillMs = performance.now() - start
  yield { type: 'prefill', ms: prefillMs }

  const result = (i: number, stoppedBy: GenerationResult['stoppedBy']): GenerationResult => ({
    tokenIds: tokens[i],
    stoppedBy,
    reusedTokens: 0,
    prefillMs,
    ttftMs: firstTokenAt[i] ? firstTokenAt[i] - start : 0,
    decodeMs: firstTokenAt[i] ? lastTokenAt[i] - firstTokenAt[i] : 0
  })

  let total = length
  for (;;) {
    const logits = outputs['logits']
    const [, rows, vocab] = logits.dims
    for (let i = 0; i < batch; i++) {
      if (ended[i]) continue
      if (aborted(i)) {
        ended[i] = true
        yield { type: 'end', index: i, result: result(i, 'cancelled') }
        continue
      }
      const row = readFloats(logits, (i * rows + rows - 1) * vocab, (i * rows + rows) * vocab).slice()
      const id = choosers[i].choose(row)
      tokens[i].push(id)
      lastTokenAt[i] = performance.now()
      if (tokens[i].length === 1) firstTokenAt[i] = lastTokenAt[i]
      yield { type: 'token', index: i, id }
      const s = sequences[i]
      const stop = !s.ignoreEos && options.stopTokenIds.has(id)
      if (stop || tokens[i].length >= s.maxNewTokens) {
        ended[i] = true
        yield { type: 'end', index: i, result: result(i, stop ? 'eos' : 'max-tokens') }
      }
    }
    if (ended.every(Boolean)) return

    // Every row takes a step (an ended one its last token again; its row is never read).
    const next = BigInt64Array.from(tokens, (t, i) => BigInt(t.at(-1) ?? sequences[i].inputIds.at(-1)!))
    const stepEmbeds = await sessions.embedTokens(next, clock, batch)
    total++
    const step: Record<string, ort.Tensor> = {
      ...cache.feeds(),
      inputs_embeds: sessions.embedsTensor(stepEmbeds, 1, hidden, batch),
      attention_mask: new ort.Tensor('int64', ones.subarray(0, batch * total), [batch, total])
    }
    if (sessions.hasPositionIds)
      step['position_ids'] = new ort.Tensor('int64', new BigInt64Array(batch).fill(BigInt(total - 1)), [
        batch,
        1
      ])
    outputs = await clock.run(sessions.decoder.session, step, 'language model')
    cache.update(outputs, 1)
  }
}

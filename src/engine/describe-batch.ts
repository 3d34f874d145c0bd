import { SmolvlmError } from './errors.ts'
import type { GenerationResult } from './generate.ts'
import { validateSampling } from './sampling.ts'
import { RunClock } from './sessions.ts'
import { cancelledDone, DEFAULT_MAX_NEW_TOKENS, doneEvent } from './smolvlm.ts'
import type { DescribeEvent, DescribeRequest, PreparedInputs, SmolVLM } from './smolvlm.ts'
import type { TextStreamDecoder } from './tokenizer.ts'

/** An event of one request of a batch (its index in the list), or that request's error; the others go on. */
export type BatchEvent =
  | { readonly index: number; readonly event: DescribeEvent }
  | { readonly index: number; readonly error: SmolvlmError }

export interface BatchDescribeOptions {
  /** Requests decoded together at most (prompts of equal length go together). Default 4. */
  readonly batchSize?: number
  /** Ends the whole batch. */
  readonly signal?: AbortSignal
  /** One per request (by index): ends that request alone, the others go on (the app's stop on one card). */
  readonly signals?: readonly (AbortSignal | undefined)[]
}

interface Ready {
  readonly index: number
  readonly request: DescribeRequest
  readonly prepared: PreparedInputs
  readonly features?: Float32Array
  readonly visionMs: number
  readonly start: number
}

const asError = (error: unknown): SmolvlmError =>
  error instanceof SmolvlmError
    ? error
    : new SmolvlmError('internal', error instanceof Error ? error.message : String(error), { cause: error })

/**
 * Describes many images the way a folder is captioned: `batchSize` requests at a time are prepared and encoded one
 * after another, then those whose prompts have one length (same tiling and prompt: the usual case in a folder from one
 * camera) are decoded together, several sequences per decoder run. Each request streams its own events (started,
 * progress, tokens, done) and a failed image is that request's error only. Where the decoder cannot batch
 * (`model.canBatch`), or a prompt's length is alone, a request is generated on its own as `describe` does.
 */
export async function* describeBatch(
  model: SmolVLM,
  requests: readonly DescribeRequest[],
  options: BatchDescribeOptions = {}
): AsyncGenerator<BatchEvent> {
  const size = Math.max(1, Math.floor(options.batchSize ?? 4))
  const own = requests.map((_, index) => requestSignal(options, index))
  let preparing = prepareAhead(model, requests, own, 0, size)
  for (let first = 0; first < requests.length; first += size) {
    const current = preparing
    if (options.signal?.aborted) {
      // Every request still waiting ends as cancelled, as describe() does when cancelled before it starts.
      for (let index = first; index < requests.length; index++) yield { index, event: cancelledDone() }
      return
    }
    const chunk: Ready[] = []
    for (let index = first; index < Math.min(first + size, requests.length); index++) {
      const request = requests[index]
      const signal = own[index]
      const start = performance.now()
      if (signal?.aborted) {
        yield { index, event: cancelledDone() }
        continue
      }
      try {
        // What would fail this request alone fails it before it joins a group (a batch shares its runs).
        const maxNewTokens = request.maxNewTokens ?? DEFAULT_MAX_NEW_TOKENS
        if (!Number.isInteger(maxNewTokens) || maxNewTokens < 1)
          throw new SmolvlmError('bad-request', 'max new tokens must be at least 1.')
        validateSampling({
          sampling: request.sampling ?? { kind: 'greedy' },
          repetitionPenalty: request.repetitionPenalty
        })
        const settled = await (current[index - first] ?? prepareOne(model, request, signal))
        if ('error' in settled) throw settled.error
        const { prepared } = settled
        model.checkContext(prepared.inputIds, prepared.tiles)
        yield {
          index,
          event: {
            type: 'started',
            inputTokens: prepared.inputIds.length,
            tiles: prepared.tiles,
            grids: prepared.grids
          }
        }
        yield { index, event: { type: 'progress', stage: 'preprocess', ms: prepared.preprocessMs } }
        let features = prepared.imageFeatures
        let visionMs = 0
        if (!features) {
          const vision = model.imageFeatures(prepared, new RunClock(), signal)
          let step = await vision.next()
          while (!step.done) {
            if (step.value.type === 'progress') visionMs = step.value.ms
            yield { index, event: step.value }
            step = await vision.next()
          }
          features = step.value
        }
        if (signal?.aborted) {
          // Stopped while its image was encoded: it ends now, before it joins a group.
          yield { index, event: cancelledDone(performance.now() - start) }
          continue
        }
        chunk.push({ index, request, prepared, features, visionMs, start })
      } catch (error) {
        const cancelled = signal?.aborted && error instanceof SmolvlmError && error.code === 'cancelled'
        yield cancelled ? { index, event: cancelledDone() } : { index, error: asError(error) }
      }
    }
    // The next images are read, decoded and resized while these are decoded (onnxruntime's runs leave the event
    // loop, and sharp's and the resize pool's threads, free).
    preparing = prepareAhead(model, requests, own, first + size, size)
    const groups = new Map<number, Ready[]>()
    for (const ready of chunk) {
      const key = model.canBatch ? ready.prepared.inputIds.length : -1 - ready.index
      groups.set(key, [...(groups.get(key) ?? []), ready])
    }
    for (const whole of groups.values()) {
      // Requests stopped while the ones before them were encoded or decoded end here, without a decoder run.
      const group: Ready[] = []
      for (const ready of whole) {
        if (own[ready.index]?.aborted) yield { index: ready.index, event: cancelledDone() }
        else group.push(ready)
      }
      if (group.length === 0) continue
      yield* group.length === 1
        ? single(model, group[0], own[group[0].index])
        : together(model, group, options, own)
    }
  }
}

type Preparing = Promise<{ readonly prepared: PreparedInputs } | { readonly error: unknown }>

/** Preparing one request, its failure kept as a value until its turn (so it is never an unhandled rejection). */
function prepareOne(model: SmolVLM, request: DescribeRequest, signal?: AbortSignal): Preparing {
  return model.prepare(request, { signal }).then(
    (prepared) => ({ prepared }),
    (error: unknown) => ({ error })
  )
}

/** Starts preparing requests first … first + size − 1 (none for a request already stopped). */
function prepareAhead(
  model: SmolVLM,
  requests: readonly DescribeRequest[],
  own: readonly (AbortSignal | undefined)[],
  first: number,
  size: number
): (Preparing | undefined)[] {
  return requests
    .slice(first, first + size)
    .map((request, k) => (own[first + k]?.aborted ? undefined : prepareOne(model, request, own[first + k])))
}

/** One request on its own: the usual generation from its prepared inputs and features. */
async function* single(model: SmolVLM, ready: Ready, signal?: AbortSignal): AsyncGenerator<BatchEvent> {
  try {
    const inputs = { ...ready.prepared, imageFeatures: ready.features, pixelValues: undefined }
    for await (const event of model.generate(inputs, ready.request, { signal, start: ready.start })) {
      // generate() repeats started and preprocess, already sent for this request.
      if (event.type === 'started' || (event.type === 'progress' && event.stage === 'preprocess')) continue
      yield { index: ready.index, event: withVision(event, ready.visionMs) }
    }
  } catch (error) {
    yield { index: ready.index, error: asError(error) }
  }
}

/** The vision time measured before generation, in the done event's stats. */
function withVision(event: DescribeEvent, visionMs: number): DescribeEvent {
  return event.type === 'done' ? { ...event, stats: { ...event.stats, visionMs } } : event
}

/** The signal that ends request `index`: the batch's, its own, or either. */
function requestSignal(options: BatchDescribeOptions, index: number): AbortSignal | undefined {
  const own = options.signals?.[index]
  if (!own) return options.signal
  return options.signal ? AbortSignal.any([options.signal, own]) : own
}

async function* together(
  model: SmolVLM,
  group: readonly Ready[],
  options: BatchDescribeOptions,
  own: readonly (AbortSignal | undefined)[]
): AsyncGenerator<BatchEvent> {
  const clock = new RunClock()
  const streams = group.map(() => model.textStream())
  const batchStart = performance.now()
  const finished = new Set<number>()
  try {
    const steps = model.decodeBatch(
      group.map((ready) => ({
        inputIds: ready.prepared.inputIds,
        imageFeatures: ready.features,
        maxNewTokens: ready.request.maxNewTokens ?? DEFAULT_MAX_NEW_TOKENS,
        sampling: ready.request.sampling ?? { kind: 'greedy' },
        repetitionPenalty: ready.request.repetitionPenalty,
        ignoreEos: ready.request.ignoreEos,
        signal: own[ready.index]
      })),
      clock,
      options.signal
    )
    for await (const step of steps) {
      if (step.type === 'prefill') {
        for (const ready of group)
          yield { index: ready.index, event: { type: 'progress', stage: 'prefill', ms: step.ms } }
        continue
      }
      const ready = group[step.index]
      if (step.type === 'token') {
        const ignoreEos = ready.request.ignoreEos === true
        if (ignoreEos || !model.isStopToken(step.id)) {
          yield {
            index: ready.index,
            event: { type: 'token', id: step.id, text: streams[step.index].push(step.id) }
          }
        }
        continue
      }
      finished.add(step.index)
      yield* finish(ready, streams[step.index], step.result, clock, batchStart)
    }
  } catch (error) {
    // Only the requests still running end with the error: each request gets one terminal event.
    for (const [i, ready] of group.entries())
      if (!finished.has(i)) yield { index: ready.index, error: asError(error) }
  }
}

function* finish(
  ready: Ready,
  stream: TextStreamDecoder,
  result: GenerationResult,
  clock: RunClock,
  batchStart: number
): Generator<BatchEvent> {
  const tail = stream.flush()
  if (tail) yield { index: ready.index, event: { type: 'token', id: null, text: tail } }
  yield {
    index: ready.index,
    event: doneEvent(stream.text, result, {
      inputTokens: ready.prepared.inputIds.length,
      tiles: ready.prepared.tiles,
      preprocessMs: ready.prepared.preprocessMs,
      visionMs: ready.visionMs,
      ttftMs: result.ttftMs > 0 ? batchStart - ready.start + result.ttftMs : 0,
      totalMs: performance.now() - ready.start,
      // Shared by the sequences decoded together.
      ortMs: clock.ortMs
    })
  }
}

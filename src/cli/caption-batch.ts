/**
 * `smolvlm caption --batch-size n`: the images go through describeBatch n at a time (prompts of one length decoded
 * together), while what happens to each image (progress, skip, printing, metadata, library, results file) stays
 * with the caller's per-image code, and stdout/stderr keep the order of the arguments.
 */
import { describeBatch } from '../engine/describe-batch.ts'
import type { DescribeEvent, DescribeRequest, SmolVLM } from '../engine/smolvlm.ts'
import { OrderedOutput } from './ordered-output.ts'
import type { Output } from './ordered-output.ts'

/** The batch size when none is given: measured on the 256M model, fast mode, CPU (see docs/performance.md). */
export const DEFAULT_BATCH_SIZE = 4

export interface BatchHooks {
  /**
   * Called in order before image `index` runs, with that image's output: its request, or null when it is already
   * accounted for (a path that cannot be used, an image skipped).
   */
  readonly before: (index: number, io: Output) => Promise<DescribeRequest | null>
  /** One event of image `index` (its `done` last). */
  readonly event: (index: number, event: DescribeEvent, io: Output) => Promise<void>
  /** Image `index` failed (not called for errors caused by cancelling). */
  readonly failed: (index: number, error: unknown, io: Output) => void
}

interface Running {
  readonly index: number
  readonly request: DescribeRequest
  readonly io: Output
  started: boolean
  ended: boolean
}

/**
 * Runs images 0..count-1 in windows of `batchSize` describable images. Returns when all have run or, after the
 * signal, when the window in progress has stopped; images cancelled before they started print nothing.
 */
export async function captionInBatches(
  model: SmolVLM,
  count: number,
  options: { readonly batchSize: number; readonly signal: AbortSignal },
  io: Output,
  hooks: BatchHooks
): Promise<void> {
  const { batchSize, signal } = options
  const ordered = new OrderedOutput(io)
  let next = 0
  while (next < count && !signal.aborted) {
    const window: Running[] = []
    while (next < count && window.length < batchSize && !signal.aborted) {
      const index = next++
      const slot = ordered.slot(index)
      let request: DescribeRequest | null = null
      try {
        request = await hooks.before(index, slot)
      } catch (error) {
        if (!signal.aborted) hooks.failed(index, error, slot)
      }
      if (request) window.push({ index, request, io: slot, started: false, ended: false })
      else ordered.done(index)
    }
    if (window.length === 0) continue
    const end = (run: Running) => {
      run.ended = true
      ordered.done(run.index, { discard: !run.started && signal.aborted })
    }
    try {
      const batch = describeBatch(
        model,
        window.map((run) => run.request),
        { batchSize, signal }
      )
      for await (const item of batch) {
        const run = window[item.index]
        if (run.ended) continue
        if ('error' in item) {
          if (!signal.aborted) hooks.failed(run.index, item.error, run.io)
          end(run)
          continue
        }
        const event = item.event
        if (event.type === 'started') run.started = true
        // Cancelled before it started: nothing to say about this image, as when the one-at-a-time loop stops.
        if (event.type === 'done' && event.cancelled && !run.started) {
          end(run)
          continue
        }
        await hooks.event(run.index, event, run.io)
        if (event.type === 'done') end(run)
      }
    } catch (error) {
      for (const run of window) {
        if (run.ended) continue
        if (!signal.aborted) hooks.failed(run.index, error, run.io)
        end(run)
      }
    }
    for (const run of window) if (!run.ended) end(run)
  }
}

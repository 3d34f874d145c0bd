import { describeBatch } from '../engine/describe-batch.ts'
import { SmolVLM } from '../engine/smolvlm.ts'
import type { DescribeEvent } from '../engine/smolvlm.ts'
import type { JobEvent, ModelSpec } from '../shared/contract.ts'
import { toErrorInfo } from '../shared/contract.ts'
import type { DescribableModel } from './model.ts'

/** Engine events as contract events (plain, mutable copies: they are about to be serialised anyway). */
function toJobEvent(event: DescribeEvent): Exclude<JobEvent, { type: 'error' }> {
  switch (event.type) {
    case 'started':
      return {
        type: 'started',
        inputTokens: event.inputTokens,
        tiles: event.tiles,
        grids: event.grids.map((g) => ({ rows: g.rows, cols: g.cols }))
      }
    case 'progress':
      return {
        type: 'progress',
        stage: event.stage,
        ms: event.ms,
        ...(event.done !== undefined && { done: event.done, total: event.total })
      }
    case 'token':
      return { type: 'token', id: event.id, text: event.text }
    case 'done':
      return {
        type: 'done',
        text: event.text,
        tokenIds: [...event.tokenIds],
        stoppedBy: event.stoppedBy,
        cancelled: event.cancelled,
        stats: { ...event.stats }
      }
  }
}

/** Loads a model folder with the engine (src/engine) and adapts it to the runner. */
export async function loadEngineModel(spec: ModelSpec): Promise<DescribableModel> {
  const model = await SmolVLM.load(spec.dir, {
    variant: spec.variant,
    device: spec.device,
    threads: spec.threads
  })
  return {
    info: model.info,
    canBatch: model.canBatch,
    async *describe(request, options) {
      for await (const event of model.describe(request, { signal: options.signal })) yield toJobEvent(event)
    },
    async *describeBatch(requests, options) {
      // The whole batch in one window: the runner was sent as many images as the batch size setting allows.
      const batch = describeBatch(model, requests, { batchSize: requests.length, signals: options.signals })
      for await (const item of batch) {
        yield 'error' in item
          ? { index: item.index, error: toErrorInfo(item.error) }
          : { index: item.index, event: toJobEvent(item.event) }
      }
    },
    dispose: () => model.dispose()
  }
}

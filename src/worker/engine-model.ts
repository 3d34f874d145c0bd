import { SmolVLM } from '../engine/smolvlm.ts'
import type { DescribeEvent } from '../engine/smolvlm.ts'
import type { JobEvent, ModelSpec } from '../shared/contract.ts'
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
    async *describe(request, options) {
      for await (const event of model.describe(request, { signal: options.signal })) yield toJobEvent(event)
    },
    dispose: () => model.dispose()
  }
}

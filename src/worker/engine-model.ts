import { describeBatch } from '../engine/describe-batch.ts'
import { SmolVLM } from '../engine/smolvlm.ts'
import type { DescribeEvent, DescribeRequest, ImageInput } from '../engine/smolvlm.ts'
import { describableImage, RawPreviewReader } from '../metadata/raw-preview.ts'
import type { JobEvent, ModelSpec, PreviewUsed, WorkerDescribeRequest } from '../shared/contract.ts'
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

/**
 * The request as the engine takes it: RAW files become their embedded JPEG preview (src/metadata/raw-preview.ts),
 * and which images did so, at what size, for the started event. A RAW without a usable preview throws bad-image.
 */
async function engineRequest(
  request: WorkerDescribeRequest,
  reader: RawPreviewReader
): Promise<{ request: DescribeRequest; previews: PreviewUsed[] }> {
  const images: ImageInput[] = []
  const previews: PreviewUsed[] = []
  for (const [index, path] of request.images.entries()) {
    const image = await describableImage(path, reader)
    images.push(image.input)
    if (image.preview)
      previews.push({ image: index, width: image.preview.width, height: image.preview.height })
  }
  return { request: { ...request, images }, previews }
}

/** The engine's events as contract events, the started one saying which images were RAW previews. */
function withPreviews(event: DescribeEvent, previews: readonly PreviewUsed[]) {
  const job = toJobEvent(event)
  return job.type === 'started' && previews.length > 0 ? { ...job, previews: [...previews] } : job
}

/** Loads a model folder with the engine (src/engine) and adapts it to the runner. */
export async function loadEngineModel(spec: ModelSpec): Promise<DescribableModel> {
  const model = await SmolVLM.load(spec.dir, {
    variant: spec.variant,
    device: spec.device,
    threads: spec.threads
  })
  // One ExifTool process for RAW previews, started by the first RAW job, ended with the model.
  const rawPreviews = new RawPreviewReader()
  return {
    info: model.info,
    canBatch: model.canBatch,
    async *describe(request, options) {
      const prepared = await engineRequest(request, rawPreviews)
      for await (const event of model.describe(prepared.request, { signal: options.signal }))
        yield withPreviews(event, prepared.previews)
    },
    async *describeBatch(requests, options) {
      // A RAW without a usable preview fails its own job; the others go on as a smaller batch.
      const ready: { index: number; request: DescribeRequest; previews: PreviewUsed[] }[] = []
      for (const [index, request] of requests.entries()) {
        try {
          ready.push({ index, ...(await engineRequest(request, rawPreviews)) })
        } catch (error) {
          yield { index, error: toErrorInfo(error) }
        }
      }
      if (ready.length === 0) return
      // The whole batch in one window: the runner was sent as many images as the batch size setting allows.
      const batch = describeBatch(
        model,
        ready.map((r) => r.request),
        { batchSize: ready.length, signals: ready.map((r) => options.signals[r.index]!) }
      )
      for await (const item of batch) {
        const { index, previews } = ready[item.index]!
        yield 'error' in item
          ? { index, error: toErrorInfo(item.error) }
          : { index, event: withPreviews(item.event, previews) }
      }
    },
    dispose: async () => {
      await rawPreviews.close().catch(() => undefined)
      await model.dispose()
    }
  }
}

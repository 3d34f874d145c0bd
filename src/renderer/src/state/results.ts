/** What the export dialog hands to results.writeSidecars and results.export: finished captions only. */
import type { ExportRow, ModelStatus, SidecarItem } from '../../../shared/api.ts'
import type { QueueItem, QueueState } from './queue.ts'
import { displayText, hasCaption } from './queue.ts'

export function finishedItems(state: QueueState): QueueItem[] {
  return state.order.map((id) => state.items[id]!).filter(hasCaption)
}

/** Captions that can get a .txt file beside their image (pasted images have no folder). */
export function sidecarItems(items: readonly QueueItem[]): SidecarItem[] {
  return items
    .filter((item) => item.image.hasPath)
    .map((item) => ({ imageId: item.image.id, text: displayText(item.text) }))
}

export interface ExportContext {
  readonly modelId: string
  readonly status: ModelStatus | null
}

export function exportRows(items: readonly QueueItem[], context: ExportContext): ExportRow[] {
  const status = context.status
  return items.map((item) => ({
    imageId: item.image.id,
    text: displayText(item.text),
    ...(item.prompt !== null ? { prompt: item.prompt } : {}),
    modelId: status?.modelId ?? context.modelId,
    ...(status?.variant ? { variant: status.variant } : {}),
    ...(status?.provider ? { provider: status.provider } : {}),
    ...(item.stats
      ? {
          generatedTokens: item.stats.generatedTokens,
          tokensPerSecond: item.stats.tokensPerSecond,
          totalMs: item.stats.totalMs
        }
      : {}),
    cancelled: false
  }))
}

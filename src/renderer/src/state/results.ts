/** What the export dialog hands to results.writeSidecars and results.export: finished captions only. */
import type { ExportRow, ModelStatus, SidecarItem } from '../../../shared/api.ts'
import type { KeywordOptions } from '../../../shared/keywords.ts'
import { keywordTagLine } from '../../../shared/keywords.ts'
import { itemKeywords } from './keywords.ts'
import type { QueueItem, QueueState } from './queue.ts'
import { displayText, hasCaption } from './queue.ts'

export function finishedItems(state: QueueState): QueueItem[] {
  return state.order.map((id) => state.items[id]!).filter(hasCaption)
}

/** A finished caption to save: its text, and its keywords when it answers the keyword prompt. */
export interface SaveItem extends SidecarItem {
  readonly keywords: readonly string[] | null
}

/** Captions that can get a .txt file beside their image (pasted images have no folder). */
export function sidecarItems(items: readonly QueueItem[], keywords: KeywordOptions): SaveItem[] {
  return items
    .filter((item) => item.image.hasPath)
    .map((item) => ({
      imageId: item.image.id,
      text: displayText(item.text),
      keywords: itemKeywords(item, keywords)
    }))
}

/**
 * A caption file's content: the caption, or for keyword mode the tags ("ohwx, dog, red ball"), with the trigger
 * word first and not repeated among them (the host puts it first of a plain caption: sidecars.ts).
 */
export function sidecarText(item: SaveItem, keywords: KeywordOptions, triggerWord: string): SidecarItem {
  return {
    imageId: item.imageId,
    text: item.keywords ? keywordTagLine(item.keywords, keywords, triggerWord) : item.text
  }
}

/** What goes into metadata: the caption, or for keyword mode the keywords one per comma (no underscores). */
export function metadataText(item: SaveItem): SidecarItem {
  return { imageId: item.imageId, text: item.keywords ? item.keywords.join(', ') : item.text }
}

export interface ExportContext {
  readonly modelId: string
  readonly status: ModelStatus | null
  readonly keywords: KeywordOptions
}

export function exportRows(items: readonly QueueItem[], context: ExportContext): ExportRow[] {
  const status = context.status
  return items.map((item) => {
    const keywords = itemKeywords(item, context.keywords)
    return {
      imageId: item.image.id,
      text: displayText(item.text),
      ...(keywords ? { keywords } : {}),
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
    }
  })
}

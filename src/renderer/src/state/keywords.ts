/** Keyword mode in the window: which cards show keywords, and their list under the settings in effect. */
import type { KeywordOptions } from '../../../shared/keywords.ts'
import { isKeywordPrompt, normalizeKeywords } from '../../../shared/keywords.ts'
import type { QueueItem } from './queue.ts'

/**
 * The keywords of a card whose caption answers the keyword prompt (null for any other card). Derived from the raw
 * answer each time, so a change of the keyword settings shows at once, without describing the image again.
 */
export function itemKeywords(item: QueueItem, options: KeywordOptions): string[] | null {
  if (!isKeywordPrompt(item.prompt) || item.status === 'describing' || item.status === 'error') return null
  return normalizeKeywords(item.text, options)
}

import { z } from 'zod'
import { ImageIdSchema } from './images.ts'
import { LIMITS } from './limits.ts'

/** Starting a watch: the folder is picked in the host's dialog; the page only says what to do with captions. */
export const WatchStartCallSchema = z.strictObject({
  /**
   * Write each caption into a .txt file beside its image as it finishes, with the Save dialog's settings (what to
   * do with a caption file already there, the trigger word).
   */
  writeCaptionFiles: z.boolean().optional()
})
export type WatchStartCall = z.infer<typeof WatchStartCallSchema>

/**
 * Images whose job ended without a caption (a caption is reported through library.record): `failed` when the
 * image itself cannot be described (a broken file: remembered, not tried again until it changes), otherwise it
 * was stopped or the model failed, and a later start of the watch tries it again. Ids that are not watched images
 * are ignored.
 */
export const WatchSettledCallSchema = z.strictObject({
  items: z
    .array(z.strictObject({ imageId: ImageIdSchema, failed: z.boolean() }))
    .min(1)
    .max(LIMITS.batchSize)
})
export type WatchSettledCall = z.infer<typeof WatchSettledCallSchema>

/** What the page shows of a watch: the folder's name (never its path) and counts. */
export const WatchStatusSchema = z.strictObject({
  watching: z.boolean(),
  /** The watched folder's own name; null when nothing is watched. */
  name: z.string().max(LIMITS.nameChars).nullable(),
  /** Images handed to the list so far. */
  added: z.int().min(0),
  /** Images found and waiting (settled, or there at start and not looked at yet). */
  waiting: z.int().min(0),
  /** Images that were found but could not be added (deleted before their turn, unreadable). */
  lost: z.int().min(0),
  /** The last such problem, as a sentence naming the file (not its folder). */
  problem: z.string().max(LIMITS.errorMessageChars).nullable(),
  writeCaptionFiles: z.boolean()
})
export type WatchStatus = z.infer<typeof WatchStatusSchema>

export const NOT_WATCHING: WatchStatus = {
  watching: false,
  name: null,
  added: 0,
  waiting: 0,
  lost: 0,
  problem: null,
  writeCaptionFiles: false
}

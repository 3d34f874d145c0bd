import { z } from 'zod'
import { ImageIdSchema, ImageNameSchema } from './images.ts'
import { KEYWORD_LIMITS } from './keywords.ts'
import { LIMITS } from './limits.ts'

/** What to do with an existing caption file next to an image. */
export const SIDECAR_POLICIES = ['skip', 'overwrite', 'append', 'prefix'] as const
export const SidecarPolicySchema = z.enum(SIDECAR_POLICIES)
export type SidecarPolicy = z.infer<typeof SidecarPolicySchema>

export const TriggerWordSchema = z
  .string()
  .max(LIMITS.triggerWordChars)
  .refine((word) => !/[\r\n\0]/.test(word), 'must be one line')

export const CaptionTextSchema = z.string().max(LIMITS.captionChars)

export const SidecarItemSchema = z.strictObject({ imageId: ImageIdSchema, text: CaptionTextSchema })
export type SidecarItem = z.infer<typeof SidecarItemSchema>

export const WriteSidecarsCallSchema = z.strictObject({
  items: z.array(SidecarItemSchema).min(1).max(LIMITS.resultRows),
  policy: SidecarPolicySchema,
  triggerWord: TriggerWordSchema.optional()
})
export type WriteSidecarsCall = z.infer<typeof WriteSidecarsCallSchema>

/**
 * What happened to one sidecar: written (no file was there), overwritten / appended / prefixed (a file was
 * there and the policy said so), skipped (a file was there and the policy is skip, or another image of the
 * batch maps to the same .txt), failed (with the reason).
 */
export const SIDECAR_OUTCOMES = [
  'written',
  'overwritten',
  'appended',
  'prefixed',
  'skipped',
  'failed'
] as const
export const SidecarReportSchema = z.strictObject({
  imageId: ImageIdSchema,
  /** The sidecar's file name (e.g. photo.txt); the folder is the image's own. */
  file: ImageNameSchema.nullable(),
  outcome: z.enum(SIDECAR_OUTCOMES),
  reason: z.string().max(LIMITS.errorMessageChars).nullable()
})
export type SidecarReport = z.infer<typeof SidecarReportSchema>

export const EXPORT_FORMATS = ['csv', 'jsonl'] as const
export const ExportFormatSchema = z.enum(EXPORT_FORMATS)
export type ExportFormat = z.infer<typeof ExportFormatSchema>

export const ExportRowSchema = z.strictObject({
  imageId: ImageIdSchema,
  text: CaptionTextSchema,
  /** Keyword mode: the caption's keyword list (src/shared/keywords.ts), saved as an array. */
  keywords: z
    .array(z.string().max(KEYWORD_LIMITS.keywordChars))
    .max(KEYWORD_LIMITS.maxCount + KEYWORD_LIMITS.listEntries)
    .optional(),
  prompt: z.string().max(LIMITS.promptChars).optional(),
  modelId: z.string().max(LIMITS.modelRefChars).optional(),
  variant: z.string().max(32).optional(),
  provider: z.string().max(32).optional(),
  generatedTokens: z.int().min(0).optional(),
  tokensPerSecond: z.number().min(0).optional(),
  totalMs: z.number().min(0).optional(),
  cancelled: z.boolean().optional()
})
export type ExportRow = z.infer<typeof ExportRowSchema>

export const ExportCallSchema = z.strictObject({
  format: ExportFormatSchema,
  rows: z.array(ExportRowSchema).min(1).max(LIMITS.resultRows)
})
export type ExportCall = z.infer<typeof ExportCallSchema>

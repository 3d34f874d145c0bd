import { z } from 'zod'
import { ErrorInfoSchema } from './errors.ts'
import { LIMITS } from './limits.ts'
import { VariantChoiceSchema, VariantSchema } from './model.ts'

/** A model in the store: a catalog id (smolvlm-256m) or a hub repo (HuggingFaceTB/SmolVLM-256M-Instruct). */
export const ModelRefSchema = z
  .string()
  .min(1)
  .max(LIMITS.modelRefChars)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._/-]*$/, 'is not a model id')
  .refine((ref) => !ref.split('/').some((part) => part === '..' || part === '.'), 'is not a model id')
export type ModelRef = z.infer<typeof ModelRefSchema>

export const StoreRefCallSchema = z.strictObject({ ref: ModelRefSchema })
export const StorePullCallSchema = z.strictObject({
  ref: ModelRefSchema,
  variant: VariantChoiceSchema.optional()
})
export const ImportModeSchema = z.enum(['in-place', 'copy'])
export type ImportMode = z.infer<typeof ImportModeSchema>
export const StoreImportCallSchema = z.strictObject({ mode: ImportModeSchema.optional() })

const text = (max = 2000) => z.string().max(max)
const bytes = z.number().min(0)

/** The renderer's view of the store's types: the same fields minus local paths (the page never sees those). */
export const CatalogEntryInfoSchema = z.strictObject({
  id: text(LIMITS.modelRefChars),
  repo: text(LIMITS.modelRefChars),
  title: text(200),
  parameters: z.union([z.string().max(64), z.number()]),
  summary: text(),
  variants: z.array(VariantSchema).max(16),
  recommended: z.strictObject({ cpu: VariantChoiceSchema, gpu: VariantChoiceSchema }),
  recommendedWhy: text(),
  /** Download size of the CPU recommendation, when every file's size is known in advance. */
  downloadBytes: bytes.nullable()
})
export type CatalogEntryInfo = z.infer<typeof CatalogEntryInfoSchema>

export const InstalledModelInfoSchema = z.strictObject({
  id: text(LIMITS.modelRefChars),
  repo: text(LIMITS.modelRefChars),
  revision: text(200),
  variants: z.array(VariantSchema).max(16),
  sizeBytes: bytes,
  source: text(64),
  files: z.int().min(0),
  /** Missing or damaged files noticed so far, as sentences (empty when all is well). */
  problems: z.array(text()).max(LIMITS.fileListEntries)
})
export type InstalledModelInfo = z.infer<typeof InstalledModelInfoSchema>

export const PullFileSchema = z.strictObject({
  path: text(LIMITS.pathChars),
  bytes,
  total: bytes.nullable(),
  state: text(32)
})
export const PullProgressSchema = z.strictObject({
  phase: text(32),
  file: text(LIMITS.pathChars).nullable(),
  bytes,
  total: bytes.nullable(),
  bytesPerSecond: bytes.nullable(),
  etaSeconds: bytes.nullable(),
  files: z.array(PullFileSchema).max(LIMITS.fileListEntries),
  /** A notable moment (a resumed file, a retry after a lost connection), as a sentence. */
  notice: text().nullable()
})
export type PullProgress = z.infer<typeof PullProgressSchema>

export const PULL_STATES = ['running', 'done', 'paused', 'cancelled', 'error'] as const
export const StoreProgressEventSchema = z.strictObject({
  ref: ModelRefSchema,
  variant: VariantChoiceSchema.nullable(),
  state: z.enum(PULL_STATES),
  progress: PullProgressSchema.nullable(),
  error: ErrorInfoSchema.nullable()
})
export type StoreProgressEvent = z.infer<typeof StoreProgressEventSchema>

/** How a pull ended: typed, so the page can branch without parsing messages. */
export const PullOutcomeSchema = z.discriminatedUnion('state', [
  z.strictObject({ state: z.literal('done'), model: InstalledModelInfoSchema }),
  z.strictObject({ state: z.literal('paused') }),
  z.strictObject({ state: z.literal('cancelled') }),
  z.strictObject({ state: z.literal('error'), error: ErrorInfoSchema })
])
export type PullOutcome = z.infer<typeof PullOutcomeSchema>

export const VerifyReportInfoSchema = z.strictObject({
  ok: z.boolean(),
  files: z
    .array(z.strictObject({ path: text(LIMITS.pathChars), status: text(32), detail: text().nullable() }))
    .max(LIMITS.fileListEntries)
})
export type VerifyReportInfo = z.infer<typeof VerifyReportInfoSchema>

export const DiskUsageInfoSchema = z.strictObject({
  totalBytes: bytes,
  models: z
    .array(
      z.strictObject({ id: text(LIMITS.modelRefChars), revision: text(200), bytes, complete: z.boolean() })
    )
    .max(1000)
})
export type DiskUsageInfo = z.infer<typeof DiskUsageInfoSchema>

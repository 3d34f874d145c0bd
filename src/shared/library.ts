import { z } from 'zod'
import { ImageIdSchema, ImageNameSchema, ImageRefSchema } from './images.ts'
import { PromptSchema } from './jobs.ts'
import { LIMITS } from './limits.ts'
import { CaptionTextSchema } from './results.ts'

/**
 * The caption library (every finished caption, kept on this machine, searchable) and captions written into
 * image metadata, as the page sees them. The page names images by id; the host adds the model, precision and
 * provider that ran, the file's content hash and size.
 */

export const LibraryRecordCallSchema = z.strictObject({
  items: z
    .array(z.strictObject({ imageId: ImageIdSchema, prompt: PromptSchema, text: CaptionTextSchema }))
    .min(1)
    .max(LIMITS.imagesPerJob)
})
export type LibraryRecordCall = z.infer<typeof LibraryRecordCallSchema>

export const LibrarySearchCallSchema = z.strictObject({
  /** The words as typed; see src/library/search-query.ts for what they mean. */
  query: z.string().max(LIMITS.searchChars),
  limit: z.int().min(1).max(LIMITS.searchHits).optional()
})
export type LibrarySearchCall = z.infer<typeof LibrarySearchCallSchema>

export const LibraryHistoryCallSchema = z.strictObject({ imageId: ImageIdSchema })

const text = (max: number) => z.string().max(max)

export const LibraryWriteInfoSchema = z.strictObject({
  kind: z.enum(['txt', 'embedded', 'xmp']),
  /** The written file's name (the folder is the image's own). */
  file: text(LIMITS.nameChars),
  outcome: text(32)
})

/** One kept caption. */
export const LibraryEntryInfoSchema = z.strictObject({
  id: z.int(),
  name: ImageNameSchema,
  /** The name of the folder the image was in (not its path: the page never sees paths). */
  folder: text(LIMITS.nameChars),
  createdAt: z.number(),
  source: z.enum(['app', 'cli']),
  model: text(LIMITS.modelRefChars).nullable(),
  variant: text(64).nullable(),
  device: text(32).nullable(),
  prompt: text(LIMITS.promptChars),
  text: CaptionTextSchema,
  writes: z.array(LibraryWriteInfoSchema).max(100)
})
export type LibraryEntryInfo = z.infer<typeof LibraryEntryInfoSchema>

export const SearchHitInfoSchema = z.strictObject({
  /** The image, granted to the page; null when the file is no longer where it was. */
  image: ImageRefSchema.nullable(),
  entry: LibraryEntryInfoSchema,
  /** The caption in parts, the words that matched marked. */
  parts: z.array(z.strictObject({ text: z.string(), match: z.boolean() })).max(10_000)
})
export type SearchHitInfo = z.infer<typeof SearchHitInfoSchema>

export const LibrarySearchResultSchema = z.strictObject({
  hits: z.array(SearchHitInfoSchema).max(LIMITS.searchHits),
  /** More images matched than were returned. */
  more: z.boolean(),
  /** False when the library cannot be used (it could not be opened); `reason` says why. */
  available: z.boolean(),
  reason: z.string().max(LIMITS.errorMessageChars).nullable()
})
export type LibrarySearchResult = z.infer<typeof LibrarySearchResultSchema>

// ── metadata ──────────────────────────────────────────────────────────────────────────────────────────────────

export const METADATA_MODES = ['embedded', 'xmp'] as const
export const METADATA_POLICIES = ['skip', 'replace', 'append'] as const
export const XMP_NAMINGS = ['darktable', 'adobe'] as const
export const CAPTION_KINDS = ['description', 'alt-text', 'keywords'] as const

export const WriteMetadataCallSchema = z.strictObject({
  items: z
    .array(z.strictObject({ imageId: ImageIdSchema, text: CaptionTextSchema }))
    .min(1)
    .max(LIMITS.resultRows),
  mode: z.enum(METADATA_MODES),
  policy: z.enum(METADATA_POLICIES),
  kind: z.enum(CAPTION_KINDS).optional(),
  naming: z.enum(XMP_NAMINGS).optional()
})
export type WriteMetadataCall = z.infer<typeof WriteMetadataCallSchema>

/** What an image already holds in its metadata (or its .xmp sidecar). */
export const ImageMetadataInfoSchema = z.strictObject({
  description: CaptionTextSchema.nullable(),
  altText: CaptionTextSchema.nullable(),
  keywords: z.array(z.string().max(1000)).max(1000),
  /** Where it was found: the image itself, or its sidecar's file name. */
  source: z.string().max(LIMITS.nameChars).nullable()
})
export type ImageMetadataInfo = z.infer<typeof ImageMetadataInfoSchema>

export const MetadataReportInfoSchema = z.strictObject({
  imageId: ImageIdSchema,
  /** The file that holds the caption: the image's name, or its sidecar's. */
  file: ImageNameSchema.nullable(),
  where: z.enum(['embedded', 'xmp']).nullable(),
  outcome: z.enum(['written', 'replaced', 'appended', 'skipped', 'failed']),
  reason: z.string().max(LIMITS.errorMessageChars).nullable()
})
export type MetadataReportInfo = z.infer<typeof MetadataReportInfoSchema>

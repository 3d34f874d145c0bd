import { z } from 'zod'
import { LIMITS } from './limits.ts'

/** An image id handed out by the host's file broker; the renderer names images only by these. */
export const ImageIdSchema = z
  .string()
  .min(1)
  .max(LIMITS.idChars)
  .regex(/^[A-Za-z0-9_-]+$/, 'is not an image id')
export type ImageId = z.infer<typeof ImageIdSchema>

export const ImageNameSchema = z
  .string()
  .min(1)
  .max(LIMITS.nameChars)
  .refine((name) => !name.includes('\0'), 'contains a NUL character')

/** An image the renderer may use: an id, a display name, its size, whether it is a file on disk (sidecars need one). */
export const ImageRefSchema = z.strictObject({
  id: ImageIdSchema,
  name: ImageNameSchema,
  bytes: z.int().min(0).optional(),
  /** True for a file the user dropped or picked; false for pasted bytes (no folder to write a sidecar into). */
  hasPath: z.boolean()
})
export type ImageRef = z.infer<typeof ImageRefSchema>

export const ThumbnailSchema = z.strictObject({
  /** A small WebP as a data: URL (the renderer's CSP allows img-src data:). */
  dataUrl: z.string().startsWith('data:image/'),
  /** The original image's size, after EXIF orientation. */
  width: z.int().min(0),
  height: z.int().min(0)
})
export type Thumbnail = z.infer<typeof ThumbnailSchema>

/** Extensions the broker treats as images when expanding folders (the formats the engine decodes). */
export const IMAGE_EXTENSIONS = [
  '.jpg',
  '.jpeg',
  '.jpe',
  '.jfif',
  '.png',
  '.webp',
  '.gif',
  '.tif',
  '.tiff',
  '.avif'
] as const

export function isImageFileName(name: string): boolean {
  const lower = name.toLowerCase()
  return IMAGE_EXTENSIONS.some((ext) => lower.endsWith(ext))
}

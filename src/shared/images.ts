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

/**
 * Camera RAW extensions. The app never develops RAW pixels: it describes the full-size JPEG preview the camera
 * embeds (src/metadata/raw-preview.ts), and captions go to a sidecar, never into the RAW.
 */
export const RAW_EXTENSIONS = [
  '.3fr',
  '.ari',
  '.arw',
  '.bay',
  '.cr2',
  '.cr3',
  '.crw',
  '.dcr',
  '.dng',
  '.erf',
  '.fff',
  '.iiq',
  '.k25',
  '.kdc',
  '.mef',
  '.mos',
  '.mrw',
  '.nef',
  '.nrw',
  '.orf',
  '.pef',
  '.raf',
  '.raw',
  '.rw2',
  '.rwl',
  '.sr2',
  '.srf',
  '.srw',
  '.x3f'
] as const

/** Extensions the broker treats as images when expanding folders (the formats the engine decodes, and RAW). */
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
  '.avif',
  '.heic',
  '.heif',
  '.hif',
  ...RAW_EXTENSIONS
] as const

const extensionOf = (name: string): string => {
  const dot = name.lastIndexOf('.')
  return dot < 0 ? '' : name.slice(dot).toLowerCase()
}

export function isImageFileName(name: string): boolean {
  return (IMAGE_EXTENSIONS as readonly string[]).includes(extensionOf(name))
}

/** True for a camera RAW file name (by extension: RAW formats are TIFF-like and cannot be told apart by magic). */
export function isRawFileName(name: string): boolean {
  return (RAW_EXTENSIONS as readonly string[]).includes(extensionOf(name))
}

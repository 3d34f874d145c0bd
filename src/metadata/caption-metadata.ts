/**
 * What a caption becomes in an image's metadata, as pure functions: which tags, where (in the file or in an
 * .xmp sidecar, and that sidecar's name), and how an existing value is treated. metadata-writer.ts does the I/O.
 */
import { basename, dirname, extname, join } from 'node:path'
import { isRawFileName } from '../shared/images.ts'
import { CAPTION_KINDS, METADATA_MODES, METADATA_POLICIES, XMP_NAMINGS } from '../shared/library.ts'

export { CAPTION_KINDS, METADATA_MODES, METADATA_POLICIES, XMP_NAMINGS }

/** embedded: into the image file itself (RAW and unknown formats still get a sidecar); xmp: always a sidecar. */
export type MetadataMode = (typeof METADATA_MODES)[number]

/** What to do when the image (or its sidecar) already has a description or keywords. */
export type MetadataPolicy = (typeof METADATA_POLICIES)[number]

/**
 * Sidecar naming: adobe = photo.xmp (Lightroom, Bridge, Capture One); darktable = photo.jpg.xmp (darktable,
 * digiKam). The darktable form is the default because photo.jpg and photo.nef never share one sidecar.
 */
export type XmpNaming = (typeof XMP_NAMINGS)[number]

/**
 * What the caption is: a description (the usual), alt text (also written to IPTC's Alt Text (Accessibility)),
 * or keywords (the tags preset: comma- or line-separated words).
 */
export type CaptionKind = (typeof CAPTION_KINDS)[number]

/**
 * Formats whose metadata ExifTool rewrites without touching the image data. GIF, BMP and the rest get a sidecar.
 * HEIC/HEIF/AVIF are written by ExifTool in place too (same ISO base media container); both are tested, HEIC on a
 * heif-enc file with an irot (tests/fixtures/images/heic-raw).
 */
const EMBEDDABLE = new Set(['.jpg', '.jpeg', '.png', '.webp', '.tif', '.tiff', '.heic', '.heif', '.avif'])

/**
 * Camera RAW files (RAW_EXTENSIONS): never rewritten (the file is the negative), always a sidecar, as Lightroom
 * and darktable do. DNG is writable by ExifTool, but is treated as RAW here for the same reason.
 */
export function isRawFile(path: string): boolean {
  return isRawFileName(path)
}

/** Where a caption of this image goes under a mode: into the file, or into a sidecar (and why not the file). */
export function placement(
  imagePath: string,
  mode: MetadataMode
): { where: 'embedded' } | { where: 'xmp'; because: string | null } {
  if (mode === 'xmp') return { where: 'xmp', because: null }
  const ext = extname(imagePath).toLowerCase()
  if (isRawFileName(imagePath)) return { where: 'xmp', because: 'RAW files are never rewritten' }
  if (!EMBEDDABLE.has(ext))
    return {
      where: 'xmp',
      because: `${ext || 'files without an extension'} cannot be written in place safely`
    }
  return { where: 'embedded' }
}

/** photo.jpg → photo.jpg.xmp (darktable) or photo.xmp (adobe), in the image's folder. */
export function xmpSidecarPath(imagePath: string, naming: XmpNaming): string {
  if (naming === 'darktable') return `${imagePath}.xmp`
  return join(dirname(imagePath), `${basename(imagePath, extname(imagePath))}.xmp`)
}

/** The tags preset's answer as keywords: split on commas, semicolons and lines, trimmed, empty and repeated dropped. */
export function splitKeywords(text: string): string[] {
  const seen = new Set<string>()
  const keywords: string[] = []
  for (const part of text.split(/[,;\n\r]+/)) {
    const keyword = part.trim().replace(/\s+/g, ' ').replace(/\.$/, '')
    const key = keyword.toLowerCase()
    if (keyword === '' || seen.has(key)) continue
    seen.add(key)
    keywords.push(keyword)
  }
  return keywords
}

/** What an image (or sidecar) already holds. */
export interface ExistingMetadata {
  readonly description: string | null
  readonly altText: string | null
  readonly keywords: readonly string[]
}

export const NO_METADATA: ExistingMetadata = { description: null, altText: null, keywords: [] }

/** The values to write, by meaning; null: nothing to write for it. */
export interface MetadataValues {
  readonly description: string | null
  readonly altText: string | null
  readonly keywords: readonly string[] | null
}

export type PlanOutcome = 'written' | 'replaced' | 'appended'

/** The planned change, or why there is none. */
export type MetadataPlan =
  | { readonly change: true; readonly values: MetadataValues; readonly outcome: PlanOutcome }
  | { readonly change: false; readonly reason: string }

function mergeText(
  existing: string | null,
  caption: string,
  policy: MetadataPolicy
): { value: string; outcome: PlanOutcome } | null {
  const before = (existing ?? '').trim()
  if (before === '') return { value: caption, outcome: 'written' }
  if (policy === 'skip') return null
  if (policy === 'replace') return { value: caption, outcome: 'replaced' }
  // Appending the same caption twice (a re-run) would only repeat it.
  if (before === caption || before.endsWith(`\n${caption}`)) return null
  return { value: `${before}\n${caption}`, outcome: 'appended' }
}

/**
 * The change a caption makes under a policy, given what is there. An existing value is never replaced silently:
 * skip leaves the file alone (and says so), replace and append say what they did.
 */
export function planMetadata(
  existing: ExistingMetadata,
  text: string,
  kind: CaptionKind,
  policy: MetadataPolicy
): MetadataPlan {
  const caption = text.trim()
  if (caption === '') return { change: false, reason: 'the caption is empty' }
  if (kind === 'keywords') {
    const keywords = splitKeywords(caption)
    if (keywords.length === 0) return { change: false, reason: 'the caption has no keywords' }
    if (existing.keywords.length === 0)
      return { change: true, values: { description: null, altText: null, keywords }, outcome: 'written' }
    if (policy === 'skip') return { change: false, reason: 'it already has keywords (policy: skip)' }
    if (policy === 'replace')
      return { change: true, values: { description: null, altText: null, keywords }, outcome: 'replaced' }
    const have = new Set(existing.keywords.map((k) => k.toLowerCase()))
    const added = keywords.filter((k) => !have.has(k.toLowerCase()))
    if (added.length === 0) return { change: false, reason: 'it already has these keywords' }
    return {
      change: true,
      values: { description: null, altText: null, keywords: [...existing.keywords, ...added] },
      outcome: 'appended'
    }
  }
  const description = mergeText(existing.description, caption, policy)
  if (!description) {
    return {
      change: false,
      reason:
        policy === 'skip'
          ? 'it already has a description (policy: skip)'
          : 'its description already ends with this caption'
    }
  }
  const altText = kind === 'alt-text' ? (mergeText(existing.altText, caption, policy)?.value ?? null) : null
  return {
    change: true,
    values: { description: description.value, altText, keywords: null },
    outcome: description.outcome
  }
}

/**
 * ExifTool tag names for the values. In the image: the MWG composite tags (Metadata Working Group), which write
 * XMP dc:description + EXIF ImageDescription, and IPTC Caption-Abstract only where the file already has IPTC;
 * keywords to XMP dc:subject (+ IPTC Keywords where IPTC exists). In a sidecar: the XMP tags themselves.
 * Alt text: XMP-iptcCore:AltTextAccessibility (ExifTool's name for IPTC "Alt Text (Accessibility)", 2021.1).
 */
export function exiftoolTags(
  values: MetadataValues,
  where: 'embedded' | 'xmp'
): Record<string, string | string[]> {
  const tags: Record<string, string | string[]> = {}
  if (values.description !== null)
    tags[where === 'embedded' ? 'MWG:Description' : 'XMP-dc:Description'] = values.description
  if (values.altText !== null) tags['XMP-iptcCore:AltTextAccessibility'] = values.altText
  if (values.keywords !== null)
    tags[where === 'embedded' ? 'MWG:Keywords' : 'XMP-dc:Subject'] = [...values.keywords]
  return tags
}

/** The tags read back, by meaning: the first present of each list wins. */
export const READ_TAGS = {
  description: ['MWG:Description', 'XMP-dc:Description', 'IFD0:ImageDescription', 'IPTC:Caption-Abstract'],
  altText: ['XMP-iptcCore:AltTextAccessibility'],
  keywords: ['MWG:Keywords', 'XMP-dc:Subject', 'IPTC:Keywords']
} as const

function firstText(raw: Record<string, unknown>, names: readonly string[]): string | null {
  for (const name of names) {
    const value = raw[name]
    if (value === undefined || value === null) continue
    const text = Array.isArray(value) ? value.map(String).join('\n') : String(value)
    if (text.trim() !== '') return text
  }
  return null
}

function firstList(raw: Record<string, unknown>, names: readonly string[]): string[] {
  for (const name of names) {
    const value = raw[name]
    if (value === undefined || value === null || value === '') continue
    return (Array.isArray(value) ? value : [value]).map(String).filter((k) => k.trim() !== '')
  }
  return []
}

/** ExifTool's -G1 output (group:tag keys) → what the image holds. */
export function existingFromTags(raw: Record<string, unknown>): ExistingMetadata {
  return {
    description: firstText(raw, READ_TAGS.description),
    altText: firstText(raw, READ_TAGS.altText),
    keywords: firstList(raw, READ_TAGS.keywords)
  }
}

/**
 * Which paths in a watched folder are images to describe, judged by name alone (pure): what copy tools, browsers
 * and sync clients write while a file is still arriving, hidden files (this app's own temp copies among them:
 * atomic writes and metadata edits go through `.name.….tmp` / `.name.smolvlm-…` files), and anything that is not
 * an image by its extension (caption files, .xmp and .json sidecars: the watch never reacts to its own outputs).
 */
import { isImageFileName } from '../shared/images.ts'

/**
 * Endings of files still being written: browsers (.crdownload Chrome, .part Firefox, .download Safari,
 * .opdownload Opera), copy and transfer tools (.filepart WinSCP, .partial), sync clients (.!sync Resilio,
 * .!qB qBittorrent, .!ut µTorrent), editors and generic temp files (.tmp, .temp, .swp, .crswap).
 */
export const PARTIAL_SUFFIXES = [
  '.part',
  '.partial',
  '.crdownload',
  '.download',
  '.opdownload',
  '.filepart',
  '.!sync',
  '.!qb',
  '.!ut',
  '.tmp',
  '.temp',
  '.swp',
  '.crswap'
] as const

/** Why a file name in a watched folder is not an image to describe, or null when it is one. */
export function ignoredName(name: string): string | null {
  const lower = name.toLowerCase()
  if (name.startsWith('.')) return 'hidden'
  // Office lock files (~$report.docx) and editor backups (photo.jpg~).
  if (name.startsWith('~$') || name.endsWith('~')) return 'temporary'
  if (PARTIAL_SUFFIXES.some((suffix) => lower.endsWith(suffix))) return 'still being written'
  // macOS safe-save temporaries: photo.jpg.sb-1a2b3c4d-AbCdEf.
  if (/\.sb-[0-9a-f]{8}-\w+$/i.test(name)) return 'temporary'
  if (!isImageFileName(name)) return 'not an image'
  return null
}

/**
 * Why a path under the watched root is not an image to describe, or null. `relative` is the path from the root
 * with '/' or the platform separator; every folder on the way counts (a hidden folder hides what is inside), and
 * without `recursive` only the root's own files count.
 */
export function ignoredPath(relative: string, recursive: boolean): string | null {
  const parts = relative.split(/[\\/]/).filter((part) => part !== '')
  if (parts.length === 0) return 'the watched folder itself'
  if (!recursive && parts.length > 1) return 'in a subfolder'
  for (const folder of parts.slice(0, -1)) if (folder.startsWith('.')) return 'in a hidden folder'
  return ignoredName(parts[parts.length - 1]!)
}

import { readdir, stat } from 'node:fs/promises'
import type { Stats } from 'node:fs'
import { basename, join } from 'node:path'
import { isImageFileName } from '../shared/images.ts'
import { LIMITS } from '../shared/limits.ts'
import { SmolvlmError } from './errors.ts'

/**
 * Paths as people give them, to the app (a drop, a dialog) and to the CLI (arguments): folders expand to the
 * image files inside, and a path that cannot be used says why. The host's file broker and `smolvlm caption`
 * both expand folders with imagesInFolder, so a folder gives the same images, in the same order, to both.
 */

/** Names in the order a file manager shows them: case-insensitive, digits by value (img2 before img10). */
export const byName = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' })

/** Why a file-system call failed on a path, as the end of a sentence that starts with the path. */
export function fileErrorReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  switch (code) {
    case 'ENOENT':
      return 'does not exist'
    case 'ENOTDIR':
      return 'does not exist (a part of its path is a file, not a folder)'
    case 'EISDIR':
      return 'is a folder'
    case 'EACCES':
    case 'EPERM':
      return 'cannot be opened: permission denied'
    case 'ELOOP':
      return 'is a symlink loop (too many levels of symbolic links)'
    case 'ENAMETOOLONG':
      return 'has a name too long for the file system'
    case 'EMFILE':
    case 'ENFILE':
      return 'cannot be opened: too many open files'
    case 'EIO':
      return 'cannot be read: input/output error'
    default:
      return `cannot be read (${code ?? (error instanceof Error ? error.message : String(error))})`
  }
}

/** What a path is when it is not a regular file or a folder, or undefined for those two. */
export function fileKindProblem(info: Stats): string | undefined {
  if (info.isFile() || info.isDirectory()) return undefined
  if (info.isFIFO()) return 'is a named pipe (FIFO), not an image file'
  if (info.isCharacterDevice()) return 'is a character device, not an image file'
  if (info.isBlockDevice()) return 'is a block device, not an image file'
  if (info.isSocket()) return 'is a socket, not an image file'
  return 'is not a regular file'
}

export interface FolderLimits {
  readonly maxDepth?: number
  readonly maxImages?: number
}

/**
 * Image files under a folder (by extension, see IMAGE_EXTENSIONS), depth-first in name order. Hidden entries
 * and symlinked folders are skipped, so are unreadable subfolders (a root that cannot be listed throws its
 * file-system error). More than `maxImages` is a SmolvlmError('bad-request').
 */
export async function imagesInFolder(root: string, limits: FolderLimits = {}): Promise<string[]> {
  const maxDepth = limits.maxDepth ?? LIMITS.folderDepth
  const maxImages = limits.maxImages ?? LIMITS.imagesPerFolder
  const found: string[] = []
  const visit = async (dir: string, depth: number): Promise<void> => {
    if (depth > maxDepth) return
    let entries
    try {
      entries = await readdir(dir, { withFileTypes: true })
    } catch (error) {
      if (depth === 0) throw error
      return
    }
    entries.sort((a, b) => byName.compare(a.name, b.name))
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue
      const path = join(dir, entry.name)
      if (entry.isDirectory()) await visit(path, depth + 1)
      else if ((entry.isFile() || entry.isSymbolicLink()) && isImageFileName(entry.name)) {
        found.push(path)
        if (found.length > maxImages) {
          throw new SmolvlmError(
            'bad-request',
            `${basename(root)} holds more than ${maxImages} images; add a smaller folder.`
          )
        }
      }
    }
  }
  await visit(root, 0)
  return found
}

/** One path to describe, or the reason it cannot be. */
export type ImagePathEntry =
  | { readonly path: string; readonly error?: undefined }
  | { readonly path: string; readonly error: SmolvlmError }

/**
 * Expands command-line paths: a folder becomes its images (imagesInFolder); a file named explicitly is kept
 * whatever its name (the decoder decides whether it is an image). Every path that cannot be read, and every
 * file that is not a regular file (a FIFO, a device: reading them may never end), comes back with an error
 * saying why, so the caller can report it and go on.
 */
export async function expandImagePaths(
  paths: readonly string[],
  limits: FolderLimits = {}
): Promise<ImagePathEntry[]> {
  const entries: ImagePathEntry[] = []
  const problem = (path: string, reason: string, cause?: unknown): ImagePathEntry => ({
    path,
    error: new SmolvlmError('bad-image', `${path} ${reason}.`, { cause })
  })
  const checkFile = async (path: string): Promise<ImagePathEntry> => {
    let info
    try {
      info = await stat(path)
    } catch (error) {
      return problem(path, fileErrorReason(error), error)
    }
    const kind = fileKindProblem(info)
    return kind ? problem(path, kind) : { path }
  }
  for (const path of paths) {
    let info
    try {
      info = await stat(path)
    } catch (error) {
      entries.push(problem(path, fileErrorReason(error), error))
      continue
    }
    if (!info.isDirectory()) {
      const kind = fileKindProblem(info)
      entries.push(kind ? problem(path, kind) : { path })
      continue
    }
    let files
    try {
      files = await imagesInFolder(path, limits)
    } catch (error) {
      entries.push({
        path,
        error:
          error instanceof SmolvlmError
            ? error
            : new SmolvlmError('bad-image', `${path} ${fileErrorReason(error)}.`)
      })
      continue
    }
    if (files.length === 0) {
      entries.push(
        problem(
          path,
          'is a folder with no image files in it (.jpg, .png, .webp, .gif, .tif, .avif, .heic, RAW)'
        )
      )
      continue
    }
    for (const file of files) entries.push(await checkFile(file))
  }
  return entries
}

import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, open, realpath, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import type { ImageRef } from '../shared/contract.ts'
import { isSmolvlmError } from '../engine/errors.ts'
import { heifKind } from '../engine/image/decode-heic.ts'
import { imagesInFolder } from '../engine/image-paths.ts'
import { AppError, isImageFileName, LIMITS } from '../shared/contract.ts'

/** A file the user gave the app, and the id the renderer knows it by. */
export interface Grant {
  readonly id: string
  readonly name: string
  /** Absolute, symlinks resolved. For pasted bytes: a file in the broker's own temp folder. */
  readonly path: string
  readonly bytes: number
  /** False for pasted/uploaded bytes: the file is the app's temp copy, not the user's. */
  readonly hasPath: boolean
}

export type GrantSource = 'drop' | 'dialog' | 'open-with'

/** Magic numbers of the formats the engine decodes (for a dropped file whose name does not say it is an image). */
function looksLikeImage(head: Uint8Array): boolean {
  const starts = (...bytes: number[]) => bytes.every((b, i) => head[i] === b)
  const ascii = (offset: number, text: string) =>
    [...text].every((c, i) => head[offset + i] === c.charCodeAt(0))
  return (
    starts(0xff, 0xd8, 0xff) || // JPEG
    starts(0x89, 0x50, 0x4e, 0x47) || // PNG
    ascii(0, 'GIF8') ||
    (ascii(0, 'RIFF') && ascii(8, 'WEBP')) ||
    starts(0x49, 0x49, 0x2a, 0x00) || // TIFF, little-endian
    starts(0x4d, 0x4d, 0x00, 0x2a) || // TIFF, big-endian
    heifKind(head) !== undefined // AVIF, HEIC/HEIF (by the ftyp brands)
  )
}

async function sniffImage(path: string): Promise<boolean> {
  const handle = await open(path, 'r')
  try {
    const head = new Uint8Array(16)
    const { bytesRead } = await handle.read(head, 0, head.length, 0)
    return bytesRead >= 4 && looksLikeImage(head)
  } finally {
    await handle.close()
  }
}

/** A name safe to use as a file name: no folders, no control characters, not empty. */
function safeFileName(name: string): string {
  const cleaned = [...basename(name.replace(/\\/g, '/'))]
    .map((c) => (c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f || '<>:"|?*'.includes(c) ? '_' : c))
    .join('')
    .slice(0, 200)
  return cleaned === '' || cleaned === '.' || cleaned === '..' ? 'image' : cleaned
}

/** The folder's images as the CLI finds them too (src/engine/image-paths.ts); an unlistable folder gives none. */
async function imagesIn(folder: string): Promise<string[]> {
  try {
    return await imagesInFolder(folder)
  } catch (error) {
    if (isSmolvlmError(error)) throw new AppError(error.code, error.message)
    return []
  }
}

/**
 * The only way a file becomes readable to the app's jobs. Paths come from a drop (the preload's
 * webUtils.getPathForFile) or a dialog; folders expand, recursively, to the image files inside; the renderer
 * gets ids and names and never a path. A job naming an id the broker never handed out is refused.
 */
export class FileBroker {
  private readonly grants = new Map<string, Grant>()
  private readonly byPath = new Map<string, Grant>()
  private tempDir: string | undefined

  constructor(private readonly options: { readonly tempRoot?: string } = {}) {}

  /** Grants dropped or picked paths. Non-image files are skipped; folders give their images in name order. */
  async grantPaths(paths: readonly string[], _source: GrantSource): Promise<ImageRef[]> {
    const refs: ImageRef[] = []
    const seen = new Set<string>()
    for (const path of paths) {
      let info
      try {
        info = await stat(path)
      } catch {
        continue // vanished since the drop, or unreadable: nothing to grant
      }
      if (info.isDirectory()) {
        for (const file of await imagesIn(path)) {
          const grant = await this.grantFile(file)
          if (grant && !seen.has(grant.id)) {
            seen.add(grant.id)
            refs.push(toRef(grant))
          }
        }
      } else if (info.isFile() && (isImageFileName(path) || (await sniffImage(path).catch(() => false)))) {
        const grant = await this.grantFile(path)
        if (grant && !seen.has(grant.id)) {
          seen.add(grant.id)
          refs.push(toRef(grant))
        }
      }
    }
    return refs
  }

  /** Grants pasted or uploaded bytes by writing them to the broker's temp folder. */
  async grantBytes(name: string, bytes: Uint8Array): Promise<ImageRef> {
    if (bytes.byteLength === 0) throw new AppError('bad-image', `${name} is empty.`)
    if (bytes.byteLength > LIMITS.imageBytes)
      throw new AppError('image-too-large', `${name} is larger than 64 MB.`)
    const id = newId()
    const dir = join(await this.temp(), id)
    const path = join(dir, safeFileName(name))
    await mkdir(dir, { recursive: true })
    await writeFile(path, bytes, { flag: 'wx' })
    const grant: Grant = { id, name: safeFileName(name), path, bytes: bytes.byteLength, hasPath: false }
    this.grants.set(id, grant)
    return toRef(grant)
  }

  /** The grant behind an id, or an AppError('not-granted'). */
  resolve(id: string): Grant {
    const grant = this.grants.get(id)
    if (!grant)
      throw new AppError(
        'not-granted',
        `The image ${JSON.stringify(id.slice(0, 64))} was not given to the app (drop it or open it first).`
      )
    return grant
  }

  get size(): number {
    return this.grants.size
  }

  /** Forgets every grant and deletes the temp copies of pasted images. */
  async close(): Promise<void> {
    this.grants.clear()
    this.byPath.clear()
    if (this.tempDir) await rm(this.tempDir, { recursive: true, force: true })
    this.tempDir = undefined
  }

  private async temp(): Promise<string> {
    this.tempDir ??= await mkdtemp(join(this.options.tempRoot ?? tmpdir(), 'smolvlm-images-'))
    return this.tempDir
  }

  private async grantFile(path: string): Promise<Grant | undefined> {
    let real: string
    let bytes: number
    try {
      real = await realpath(path)
      const info = await stat(real)
      if (!info.isFile()) return undefined
      bytes = info.size
    } catch {
      return undefined
    }
    const known = this.byPath.get(real)
    if (known) return known
    const grant: Grant = { id: newId(), name: basename(real), path: real, bytes, hasPath: true }
    this.grants.set(grant.id, grant)
    this.byPath.set(real, grant)
    return grant
  }
}

function newId(): string {
  return randomBytes(12).toString('base64url')
}

function toRef(grant: Grant): ImageRef {
  return { id: grant.id, name: grant.name, bytes: grant.bytes, hasPath: grant.hasPath }
}

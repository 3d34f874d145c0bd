/**
 * Captions into image metadata through ExifTool (exiftool-vendored, which ships it), safely:
 *  - the image is never edited in place: a hidden copy in the same folder is written by ExifTool, its pixels are
 *    decoded and compared with the original's, it is flushed to disk, then renamed over the original (a killed
 *    write leaves the original as it was; readers never see half a file);
 *  - no `<file>_original` backups are left unless asked for (`backups: true` keeps one, as ExifTool would);
 *  - an existing description or keyword list is skipped, replaced or appended to, never replaced silently;
 *  - a file whose metadata ExifTool finds damaged is skipped with ExifTool's reason; read-only files and
 *    folders get a per-file sentence.
 */
import { randomBytes } from 'node:crypto'
import { constants } from 'node:fs'
import { access, copyFile, link, open, rename, stat, unlink } from 'node:fs/promises'
import { basename, dirname, extname, join } from 'node:path'
import { ExifTool } from 'exiftool-vendored'
import type {
  CaptionKind,
  ExistingMetadata,
  MetadataMode,
  MetadataPolicy,
  XmpNaming
} from './caption-metadata.ts'
import {
  existingFromTags,
  exiftoolTags,
  NO_METADATA,
  placement,
  planMetadata,
  READ_TAGS,
  xmpSidecarPath
} from './caption-metadata.ts'
import { SidecarClaims } from '../shared/sidecar-claims.ts'
import { tempNameBeside } from '../shared/temp-name.ts'
import { pixelHash } from './pixel-hash.ts'

export interface MetadataWriteOptions {
  readonly mode: MetadataMode
  readonly policy: MetadataPolicy
  readonly kind?: CaptionKind
  readonly naming?: XmpNaming
  /** Keep the unmodified image as `<file>_original` (ExifTool's convention). Default false. */
  readonly backups?: boolean
}

export const METADATA_OUTCOMES = ['written', 'replaced', 'appended', 'skipped', 'failed'] as const
export type MetadataOutcome = (typeof METADATA_OUTCOMES)[number]

/** What happened to one image. */
export interface MetadataReport {
  readonly image: string
  /** The file that holds (or would hold) the caption: the image itself, or its .xmp sidecar. */
  readonly file: string | null
  readonly where: 'embedded' | 'xmp' | null
  readonly outcome: MetadataOutcome
  /** Why it was skipped or failed, or why a sidecar was used although the mode was embedded. */
  readonly reason: string | null
}

export interface MetadataWriterOptions {
  /** Called with the finished temp file just before it replaces the target (tests stop or kill here). */
  readonly beforeReplace?: (tempPath: string, target: string) => Promise<void>
  /** ExifTool processes to keep (default 1: captions are written one image at a time). */
  readonly maxProcs?: number
}

/** A sentence for an error from the file system, naming the file or folder that refused. */
function fileSystemReason(error: unknown, file: string): string {
  const code = (error as NodeJS.ErrnoException).code
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS')
    return `${basename(dirname(file))}/ is read-only or not writable here (${code})`
  if (code === 'ENOSPC') return 'the disk is full'
  if (code === 'ENOENT') return `${basename(file)} no longer exists`
  return error instanceof Error ? error.message : String(error)
}

/** ExifTool's message without the file path it appends (" - /path/to/file"). */
export function exiftoolReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  return message
    .replace(/ - \/\S.*$/s, '')
    .replace(/^Error: /, '')
    .trim()
}

function tempNameFor(target: string): string {
  // Keep the extension: ExifTool picks the format from it when the file does not exist yet (sidecars).
  const ext = extname(target)
  return join(
    dirname(target),
    tempNameBeside(basename(target), `.smolvlm-${randomBytes(5).toString('hex')}`, ext)
  )
}

async function syncFile(path: string): Promise<void> {
  const handle = await open(path, 'r+')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

export class MetadataWriter {
  private readonly exiftool: ExifTool
  /** Sidecars claimed by an image in this writer's life: photo.jpg and photo.nef must not share photo.xmp silently. */
  private readonly claimed = new SidecarClaims()

  constructor(private readonly options: MetadataWriterOptions = {}) {
    this.exiftool = new ExifTool({ maxProcs: options.maxProcs ?? 1, taskTimeoutMillis: 60_000 })
  }

  /** The caption-like metadata of an image: its own, or its sidecar's where the image has none. */
  async read(imagePath: string, naming: XmpNaming = 'darktable'): Promise<ExistingMetadata> {
    const own = await this.readFile(imagePath)
    if (own.description !== null || own.keywords.length > 0) return own
    const sidecar = xmpSidecarPath(imagePath, naming)
    return (await exists(sidecar)) ? this.readFile(sidecar) : own
  }

  /** ExifTool's reading of one file (an image or an .xmp), by meaning. */
  async readFile(path: string): Promise<ExistingMetadata> {
    const names = Object.values(READ_TAGS).flat()
    const raw = (await this.exiftool.readRaw(path, {
      readArgs: ['-G1', '-use', 'MWG', ...names.map((name) => `-${name}`)]
    })) as Record<string, unknown>
    return existingFromTags(raw)
  }

  /** Writes one caption; never throws for a per-file problem (the report says what happened). */
  async write(imagePath: string, caption: string, options: MetadataWriteOptions): Promise<MetadataReport> {
    const kind = options.kind ?? 'description'
    const place = placement(imagePath, options.mode)
    const target =
      place.where === 'embedded' ? imagePath : xmpSidecarPath(imagePath, options.naming ?? 'darktable')
    const because = place.where === 'xmp' ? place.because : null
    const report = (outcome: MetadataOutcome, reason: string | null = because): MetadataReport => ({
      image: imagePath,
      file: target,
      where: place.where,
      outcome,
      reason
    })
    try {
      const info = await stat(imagePath)
      if (!info.isFile()) return report('failed', `${basename(imagePath)} is not a file`)
    } catch (error) {
      return report('failed', fileSystemReason(error, imagePath))
    }
    if (place.where === 'xmp') {
      const owner = this.claimed.claim(target, imagePath)
      if (owner !== undefined)
        return report('skipped', `${basename(owner)} already writes ${basename(target)}`)
    }

    const targetExists = target === imagePath || (await exists(target))
    if (targetExists) {
      // The mode bits too: access() says yes to root even for a file marked read-only.
      const writable = await access(target, constants.W_OK).then(
        async () => ((await stat(target)).mode & 0o222) !== 0,
        () => false
      )
      if (!writable) return report('failed', `${basename(target)} is read-only`)
    }
    let existing = NO_METADATA
    if (targetExists) {
      try {
        existing = await this.readFile(target)
      } catch (error) {
        return report('skipped', `its metadata cannot be read: ${exiftoolReason(error)}`)
      }
    }
    const plan = planMetadata(existing, caption, kind, options.policy)
    if (!plan.change) return report('skipped', plan.reason)
    const tags = exiftoolTags(plan.values, place.where)

    const temp = tempNameFor(target)
    let placed = false
    try {
      if (targetExists) {
        await copyFile(target, temp, constants.COPYFILE_EXCL)
      }
      try {
        // -overwrite_original on our own temp copy: ExifTool's backup would be a copy of a copy.
        await this.exiftool.write(temp, tags, { writeArgs: ['-overwrite_original'] })
      } catch (error) {
        return report('skipped', `its metadata could not be written safely: ${exiftoolReason(error)}`)
      }
      if (place.where === 'embedded') {
        const [before, after] = await Promise.all([pixelHash(imagePath), pixelHash(temp)])
        if (before !== after)
          return report(
            'failed',
            'writing the metadata would have changed the pixels; the file was kept as it was'
          )
      }
      if (targetExists) {
        const { mode } = await stat(target)
        const handle = await open(temp, 'r+')
        try {
          await handle.chmod(mode & 0o7777)
          await handle.sync()
        } finally {
          await handle.close()
        }
      } else {
        await syncFile(temp)
      }
      await this.options.beforeReplace?.(temp, target)
      if (options.backups && place.where === 'embedded') await copyFile(target, `${target}_original`)
      if (targetExists) {
        await rename(temp, target)
        placed = true
      } else {
        // Create only: a sidecar that appeared meanwhile (another program) is not overwritten.
        await link(temp, target)
      }
      return report(plan.outcome)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST' && !targetExists)
        return report('skipped', `${basename(target)} appeared while writing; it was left alone`)
      return report('failed', fileSystemReason(error, temp))
    } finally {
      if (!placed) await unlink(temp).catch(() => undefined)
    }
  }

  /** Stops the ExifTool process. */
  async close(): Promise<void> {
    await this.exiftool.end()
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path)
    return true
  } catch {
    return false
  }
}

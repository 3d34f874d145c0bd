/**
 * What `smolvlm caption` does with a finished caption besides printing it: write it into the image's metadata
 * (--write-metadata), into a caption file beside it (--write-txt), and keep it in the caption library (unless
 * --no-history).
 */
import { basename, resolve } from 'node:path'
import { sidecarPath, withTriggerWord, writeCaptionFile } from '../host/sidecars.ts'
import { defaultStoreRoot } from '../store/layout.ts'
import { CaptionLibrary } from '../library/caption-library.ts'
import type { LibraryWrite } from '../library/caption-library.ts'
import { libraryFile } from '../library/location.ts'
import { contentHash } from '../library/content-hash.ts'
import type { CaptionKind, MetadataMode, MetadataPolicy, XmpNaming } from '../metadata/caption-metadata.ts'
import { MetadataWriter } from '../metadata/metadata-writer.ts'
import type { MetadataReport } from '../metadata/metadata-writer.ts'
import { keywordTagLine } from '../shared/keywords.ts'
import type { SidecarPolicy, SidecarReport } from '../shared/results.ts'
import { SidecarClaims } from '../shared/sidecar-claims.ts'

export interface MetadataArgs {
  readonly mode: MetadataMode
  readonly policy: MetadataPolicy
  readonly naming: XmpNaming
  readonly kind: CaptionKind
}

/** --write-txt: photo.jpg → photo.txt, as the app's Save dialog writes them. */
export interface CaptionFileArgs {
  readonly policy: SidecarPolicy
  readonly triggerWord: string
  /** Keyword mode's tags with underscores ("long_hair"), booru style. */
  readonly underscores: boolean
}

/** What happened to one caption file (the JSON line's "captionFile"). */
export interface CaptionFileReport {
  readonly file: string
  readonly outcome: SidecarReport['outcome']
  readonly reason: string | null
}

export interface CaptionOutputsOptions {
  readonly metadata: MetadataArgs | null
  readonly captionFile?: CaptionFileArgs | null
  readonly history: boolean
  readonly warn: (line: string) => void
}

export interface FinishedCaption {
  readonly image: string
  readonly prompt: string
  readonly text: string
  /** --keywords: the answer's keyword list, which metadata gets instead of the raw answer. */
  readonly keywords?: readonly string[] | null
  readonly model: string
  readonly variant: string
  readonly device: string
}

/** The report of one metadata write, as the JSON line carries it. */
export function metadataJson(report: MetadataReport): Record<string, string | null> {
  return { file: report.file, where: report.where, outcome: report.outcome, reason: report.reason }
}

export function metadataLine(report: MetadataReport): string {
  const where = report.where === 'xmp' ? `sidecar ${report.file ?? ''}` : 'in the file'
  return `${report.outcome} (${where})${report.reason ? `: ${report.reason}` : ''}`
}

export function captionFileLine(report: CaptionFileReport): string {
  return `${report.outcome} ${report.file}${report.reason ? `: ${report.reason}` : ''}`
}

export class CaptionOutputs {
  private writer: MetadataWriter | null = null
  private library: CaptionLibrary | null | undefined
  private warnedHistory = false
  /** Caption files written in this run, and the image each belongs to. */
  private readonly captionFiles = new SidecarClaims()

  constructor(private readonly options: CaptionOutputsOptions) {}

  /** The description an image already has in its metadata or its .xmp sidecar; null when none (or unreadable). */
  async describedAlready(image: string, naming: XmpNaming): Promise<string | null> {
    this.writer ??= new MetadataWriter()
    try {
      return (await this.writer.read(resolve(image), naming)).description
    } catch {
      return null
    }
  }

  /**
   * Writes the metadata and the caption file (if asked) and records the caption (if history is on); what
   * happened to each.
   */
  async finished(
    caption: FinishedCaption
  ): Promise<{ metadata: MetadataReport | null; captionFile: CaptionFileReport | null }> {
    const image = resolve(caption.image)
    let report: MetadataReport | null = null
    if (this.options.metadata) {
      this.writer ??= new MetadataWriter()
      // Keyword mode writes the clean list (one keyword per comma, as caption-metadata splits it back).
      const text = caption.keywords ? caption.keywords.join(', ') : caption.text
      report = await this.writer.write(image, text, this.options.metadata)
    }
    const captionFile = this.options.captionFile
      ? await this.writeCaptionFile(image, caption, this.options.captionFile)
      : null
    if (this.options.history) await this.record(image, caption, report, captionFile)
    return { metadata: report, captionFile }
  }

  /** The caption, or keyword mode's tags ("ohwx, dog, red ball"), trigger word first, into photo.txt. */
  private async writeCaptionFile(
    image: string,
    caption: FinishedCaption,
    args: CaptionFileArgs
  ): Promise<CaptionFileReport> {
    const target = sidecarPath(image)
    const file = basename(target)
    if (target === image)
      return { file, outcome: 'failed', reason: `${file} is itself named like its caption file.` }
    const owner = this.captionFiles.claim(target, image)
    if (owner !== undefined)
      return { file, outcome: 'skipped', reason: `${basename(owner)} in this run already writes ${file}.` }
    const text = caption.keywords
      ? keywordTagLine(caption.keywords, args, args.triggerWord)
      : withTriggerWord(caption.text, args.triggerWord)
    return { file, ...(await writeCaptionFile(target, text, args.policy)) }
  }

  private openLibrary(): CaptionLibrary | null {
    if (this.library !== undefined) return this.library
    try {
      this.library = CaptionLibrary.open(libraryFile(defaultStoreRoot()))
    } catch (error) {
      this.library = null
      this.warnOnce(error)
    }
    return this.library
  }

  private warnOnce(error: unknown): void {
    if (this.warnedHistory) return
    this.warnedHistory = true
    const message = error instanceof Error ? error.message : String(error)
    this.options.warn(
      `smolvlm: warning: captions are not kept in the library (${message}); --no-history silences this\n`
    )
  }

  private async record(
    image: string,
    caption: FinishedCaption,
    report: MetadataReport | null,
    captionFile: CaptionFileReport | null
  ): Promise<void> {
    const library = this.openLibrary()
    if (!library) return
    try {
      // Hashed after the metadata write: the bytes as they now are identify the file if it moves.
      const content = await contentHash(image)
      const writes: LibraryWrite[] =
        report &&
        report.file &&
        (report.outcome === 'written' || report.outcome === 'replaced' || report.outcome === 'appended')
          ? [
              {
                kind: report.where === 'xmp' ? 'xmp' : 'embedded',
                file: report.file,
                outcome: report.outcome
              }
            ]
          : []
      if (captionFile && captionFile.outcome !== 'skipped' && captionFile.outcome !== 'failed')
        writes.push({ kind: 'txt', file: captionFile.file, outcome: captionFile.outcome })
      library.record({
        path: image,
        contentHash: content?.hash ?? null,
        size: content?.size ?? null,
        source: 'cli',
        model: caption.model,
        variant: caption.variant,
        device: caption.device,
        prompt: caption.prompt,
        text: caption.text,
        writes
      })
    } catch (error) {
      this.warnOnce(error)
    }
  }

  async close(): Promise<void> {
    this.library?.close()
    await this.writer?.close()
  }
}

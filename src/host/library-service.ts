import { existsSync } from 'node:fs'
import { basename, dirname } from 'node:path'
import { CaptionLibrary } from '../library/caption-library.ts'
import type { LibraryEntry, LibraryWrite } from '../library/caption-library.ts'
import { contentHash } from '../library/content-hash.ts'
import type { ExistingMetadata } from '../metadata/caption-metadata.ts'
import { XMP_NAMINGS, xmpSidecarPath } from '../metadata/caption-metadata.ts'
import { MetadataWriter } from '../metadata/metadata-writer.ts'
import type {
  ImageMetadataInfo,
  LibraryEntryInfo,
  LibraryRecordCall,
  LibrarySearchResult,
  MetadataReportInfo,
  ModelStatus,
  SidecarReport,
  WriteMetadataCall
} from '../shared/contract.ts'
import { boundMessage } from '../shared/contract.ts'
import type { FileBroker } from './file-broker.ts'

const reasonOf = (error: unknown): string =>
  boundMessage(error instanceof Error ? error.message : String(error))

/** A kept caption as the page sees it: names, never paths. */
function entryInfo(entry: LibraryEntry): LibraryEntryInfo {
  return {
    id: entry.id,
    name: entry.name || 'image',
    folder: entry.path === '' ? '' : basename(dirname(entry.path)),
    createdAt: entry.createdAt,
    source: entry.source,
    model: entry.model,
    variant: entry.variant,
    device: entry.device,
    prompt: entry.prompt,
    text: entry.text,
    writes: entry.writes
      .slice(0, 100)
      .map((w) => ({ kind: w.kind, file: basename(w.file), outcome: w.outcome }))
  }
}

/**
 * The caption library and metadata writing for the app (src/library, src/metadata), in the main process. The
 * library opens on first use; when it cannot be opened the app goes on without it and searches say why.
 */
export class LibraryService {
  private library: CaptionLibrary | null | undefined
  private failure: string | null = null
  private writer: MetadataWriter | null = null

  constructor(
    private readonly file: string | null,
    private readonly broker: FileBroker,
    private readonly log?: (line: string) => void
  ) {}

  private open(): CaptionLibrary | null {
    if (this.library !== undefined) return this.library
    if (this.file === null) {
      this.failure = 'The caption library is not set up in this window.'
      return (this.library = null)
    }
    try {
      this.library = CaptionLibrary.open(this.file)
    } catch (error) {
      this.library = null
      this.failure = `The caption library could not be opened: ${reasonOf(error)}`
      this.log?.(this.failure)
    }
    return this.library
  }

  /** Keeps finished captions with the model that wrote them and each file's content hash. */
  async record(items: LibraryRecordCall['items'], status: ModelStatus): Promise<{ recorded: number }> {
    const library = this.open()
    if (!library) return { recorded: 0 }
    let recorded = 0
    for (const item of items) {
      const grant = this.broker.resolve(item.imageId)
      const content = await contentHash(grant.path)
      library.record({
        path: grant.hasPath ? grant.path : '',
        name: grant.name,
        contentHash: content?.hash ?? null,
        size: content?.size ?? null,
        source: 'app',
        model: status.modelId,
        variant: status.variant,
        device: status.provider,
        prompt: item.prompt,
        text: item.text
      })
      recorded++
    }
    return { recorded }
  }

  /** The search, with each found file granted to the page (a file no longer there comes back without an image). */
  async search(query: string, limit = 100): Promise<LibrarySearchResult> {
    const library = this.open()
    if (!library) return { hits: [], more: false, available: false, reason: this.failure }
    const { hits, more } = library.search(query, limit)
    const found = []
    for (const hit of hits) {
      // Picking a kept caption is like picking the file in a dialog: the user chose it.
      const [image] = hit.path === '' ? [] : await this.broker.grantPaths([hit.path], 'dialog')
      found.push({ image: image ?? null, entry: entryInfo(hit), parts: hit.parts })
    }
    return { hits: found, more, available: true, reason: null }
  }

  async history(imageId: string): Promise<LibraryEntryInfo[]> {
    const library = this.open()
    if (!library) return []
    const grant = this.broker.resolve(imageId)
    const content = grant.hasPath ? await contentHash(grant.path) : null
    return library.history(grant.hasPath ? grant.path : '\0', content?.hash ?? null).map(entryInfo)
  }

  clear(): { cleared: number } {
    const library = this.open()
    if (!library) return { cleared: 0 }
    const cleared = library.count()
    library.clear()
    return { cleared }
  }

  /** Notes the .txt sidecars written from captions on the images' latest kept captions. */
  noteSidecars(reports: readonly SidecarReport[]): void {
    const library = this.library
    if (!library) return
    for (const report of reports) {
      if (!report.file || report.outcome === 'skipped' || report.outcome === 'failed') continue
      const grant = this.broker.resolve(report.imageId)
      const file = `${dirname(grant.path)}/${report.file}`
      library.noteWrites(grant.path, [{ kind: 'txt', file, outcome: report.outcome }])
    }
  }

  /** What an image already holds: its own metadata, else its darktable or Adobe-named sidecar's. */
  async readMetadata(imageId: string): Promise<ImageMetadataInfo> {
    const grant = this.broker.resolve(imageId)
    const none: ImageMetadataInfo = { description: null, altText: null, keywords: [], source: null }
    if (!grant.hasPath) return none
    this.writer ??= new MetadataWriter()
    const found = (meta: ExistingMetadata) => meta.description !== null || meta.keywords.length > 0
    const info = (meta: ExistingMetadata, source: string): ImageMetadataInfo => ({
      description: meta.description,
      altText: meta.altText,
      keywords: meta.keywords.slice(0, 1000).map((k) => k.slice(0, 1000)),
      source
    })
    try {
      const own = await this.writer.readFile(grant.path)
      if (found(own)) return info(own, grant.name)
      for (const naming of XMP_NAMINGS) {
        const sidecar = xmpSidecarPath(grant.path, naming)
        if (!existsSync(sidecar)) continue
        const meta = await this.writer.readFile(sidecar)
        if (found(meta)) return info(meta, basename(sidecar))
      }
    } catch {
      // Unreadable metadata is shown as none; writing it reports the reason.
    }
    return none
  }

  /** Writes captions into metadata, one image after another, and notes what was written in the library. */
  async writeMetadata(call: WriteMetadataCall): Promise<MetadataReportInfo[]> {
    this.writer ??= new MetadataWriter()
    const reports: MetadataReportInfo[] = []
    for (const item of call.items) {
      let grant
      try {
        grant = this.broker.resolve(item.imageId)
      } catch (error) {
        reports.push({
          imageId: item.imageId,
          file: null,
          where: null,
          outcome: 'failed',
          reason: reasonOf(error)
        })
        continue
      }
      if (!grant.hasPath) {
        reports.push({
          imageId: item.imageId,
          file: null,
          where: null,
          outcome: 'failed',
          reason: `${grant.name} was pasted, so it has no file to write metadata into.`
        })
        continue
      }
      const report = await this.writer.write(grant.path, item.text, {
        mode: call.mode,
        policy: call.policy,
        kind: call.kind ?? 'description',
        naming: call.naming ?? 'darktable'
      })
      reports.push({
        imageId: item.imageId,
        file: report.file ? basename(report.file) : null,
        where: report.where,
        outcome: report.outcome,
        reason: report.reason === null ? null : boundMessage(report.reason)
      })
      if (report.file && report.where && ['written', 'replaced', 'appended'].includes(report.outcome)) {
        const write: LibraryWrite = { kind: report.where, file: report.file, outcome: report.outcome }
        this.open()?.noteWrites(grant.path, [write])
      }
    }
    return reports
  }

  async close(): Promise<void> {
    this.library?.close()
    this.library = undefined
    await this.writer?.close()
    this.writer = null
  }
}

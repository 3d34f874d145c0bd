import type { ExportFormat, ExportRow } from '../shared/contract.ts'
import { writeFileAtomic } from './atomic-write.ts'
import type { FileBroker } from './file-broker.ts'

/** One result with the image's name and path resolved (the path is empty for pasted images). */
export interface ResolvedRow extends ExportRow {
  readonly image: string
  readonly path: string
}

export const CSV_COLUMNS = [
  'image',
  'path',
  'caption',
  'prompt',
  'model',
  'variant',
  'provider',
  'generated_tokens',
  'tokens_per_second',
  'total_ms',
  'cancelled',
  'keywords'
] as const

/**
 * One CSV field (RFC 4180): quoted when it holds a comma, quote, CR or LF, with quotes doubled. A field that
 * starts like a spreadsheet formula (= + - @, tab, CR) gets a leading apostrophe so that opening the file in a
 * spreadsheet cannot run a caption as a formula (OWASP "CSV injection"); the JSONL export keeps text exact.
 */
export function csvField(value: string | number | boolean | undefined): string {
  if (value === undefined) return ''
  let text = String(value)
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

export function toCsv(rows: readonly ResolvedRow[]): string {
  const lines = [CSV_COLUMNS.join(',')]
  for (const row of rows) {
    lines.push(
      [
        row.image,
        row.path,
        row.text,
        row.prompt,
        row.modelId,
        row.variant,
        row.provider,
        row.generatedTokens,
        row.tokensPerSecond === undefined ? undefined : Math.round(row.tokensPerSecond * 100) / 100,
        row.totalMs === undefined ? undefined : Math.round(row.totalMs),
        row.cancelled,
        // Keyword mode: the list as a JSON array in one cell (the JSONL export has a real array).
        row.keywords === undefined ? undefined : JSON.stringify(row.keywords)
      ]
        .map(csvField)
        .join(',')
    )
  }
  return `${lines.join('\r\n')}\r\n`
}

export function toJsonl(rows: readonly ResolvedRow[]): string {
  return rows
    .map((row) =>
      JSON.stringify({
        image: row.image,
        path: row.path,
        caption: row.text,
        prompt: row.prompt,
        model: row.modelId,
        variant: row.variant,
        provider: row.provider,
        generatedTokens: row.generatedTokens,
        tokensPerSecond: row.tokensPerSecond,
        totalMs: row.totalMs,
        cancelled: row.cancelled,
        keywords: row.keywords
      })
    )
    .map((line) => `${line}\n`)
    .join('')
}

export function resolveRows(broker: FileBroker, rows: readonly ExportRow[]): ResolvedRow[] {
  return rows.map((row) => {
    const grant = broker.resolve(row.imageId)
    return { ...row, image: grant.name, path: grant.hasPath ? grant.path : '' }
  })
}

export function defaultExportName(format: ExportFormat, date = new Date()): string {
  const stamp = date.toISOString().slice(0, 19).replace(/[:T]/g, '-')
  return `captions-${stamp}.${format}`
}

/** Writes the rows to `path` atomically (the user chose the path, and confirmed any overwrite, in the save dialog). */
export async function writeExport(
  path: string,
  format: ExportFormat,
  rows: readonly ResolvedRow[]
): Promise<void> {
  await writeFileAtomic(path, format === 'csv' ? toCsv(rows) : toJsonl(rows), 'replace')
}

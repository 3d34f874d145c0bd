/**
 * `smolvlm search <words…>`: images whose kept captions hold the words, from the caption library, printed or as
 * JSON lines / CSV (a re-export), optionally written again into metadata; `smolvlm library` shows where the
 * library is and clears it.
 */
import { existsSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { defaultStoreRoot } from '../store/layout.ts'
import { csvField } from '../host/export-files.ts'
import { CaptionLibrary } from '../library/caption-library.ts'
import type { SearchHit } from '../library/caption-library.ts'
import { libraryFile } from '../library/location.ts'
import { METADATA_MODES, METADATA_POLICIES, XMP_NAMINGS } from '../metadata/caption-metadata.ts'
import type { MetadataMode, MetadataPolicy, XmpNaming } from '../metadata/caption-metadata.ts'
import { MetadataWriter } from '../metadata/metadata-writer.ts'
import type { Output } from './caption.ts'
import { printable } from './caption.ts'
import { metadataJson, metadataLine } from './caption-outputs.ts'
import { choice, UsageError } from './usage.ts'

export const SEARCH_USAGE = `Usage: smolvlm search [options] <words...>

  Images whose captions (kept by the app and by smolvlm caption) hold all the words; a word matches as the
  start of a word (kit finds kite), "two words" is a phrase, -word excludes. Best matches first, one per image.

  --limit <n>             at most n images (default 20, up to 10000)
  --json                  one JSON line per image: path, caption, model, prompt, time, files written
  --csv                   CSV with the columns of the app's export
  --write-metadata <w>    embedded | xmp: write each found caption into its image again (a re-export)
  --metadata-policy <p>   skip | replace | append (default skip)
  --xmp-naming <n>        darktable (default) | adobe
  --history               every caption of each found image, newest first (not only the best match)

  The library: smolvlm library path | count | clear
`

export const LIBRARY_USAGE = `Usage: smolvlm library path | count | clear

  path    print where the caption library is (under SMOLVLM_HOME when set)
  count   how many captions it keeps
  clear   forget every kept caption
`

const stdio: Output = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text)
}

function hitJson(hit: SearchHit, extra: Record<string, unknown> = {}): string {
  return `${JSON.stringify({
    image: hit.path,
    name: hit.name,
    caption: hit.text,
    prompt: hit.prompt,
    model: hit.model,
    variant: hit.variant,
    device: hit.device,
    source: hit.source,
    time: new Date(hit.createdAt).toISOString(),
    contentHash: hit.contentHash,
    size: hit.size,
    writes: hit.writes,
    ...extra
  })}\n`
}

const CSV_HEADER = 'image,path,caption,prompt,model,variant,provider,time'

function hitCsv(hit: SearchHit): string {
  return `${[hit.name, hit.path, hit.text, hit.prompt, hit.model ?? undefined, hit.variant ?? undefined, hit.device ?? undefined, new Date(hit.createdAt).toISOString()].map(csvField).join(',')}\r\n`
}

export async function runSearch(argv: readonly string[], io: Output = stdio): Promise<number> {
  let parsed
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        limit: { type: 'string' },
        json: { type: 'boolean' },
        csv: { type: 'boolean' },
        history: { type: 'boolean' },
        'write-metadata': { type: 'string' },
        'metadata-policy': { type: 'string' },
        'xmp-naming': { type: 'string' }
      }
    })
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error))
  }
  const { values, positionals } = parsed
  const words = positionals.join(' ')
  if (words.trim() === '') throw new UsageError('Give the words to search for.')
  if (values.json && values.csv) throw new UsageError('--json and --csv exclude each other.')
  const limit = values.limit === undefined ? 20 : Number(values.limit)
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000)
    throw new UsageError(`--limit ${values.limit} is not valid: give a whole number from 1 to 10000.`)
  const mode: MetadataMode | null =
    values['write-metadata'] === undefined
      ? null
      : choice(values['write-metadata'], 'write-metadata', METADATA_MODES, 'embedded')
  const policy: MetadataPolicy = choice(
    values['metadata-policy'],
    'metadata-policy',
    METADATA_POLICIES,
    'skip'
  )
  const naming: XmpNaming = choice(values['xmp-naming'], 'xmp-naming', XMP_NAMINGS, 'darktable')

  const file = libraryFile(defaultStoreRoot())
  if (!existsSync(file)) {
    io.err(`smolvlm: no captions kept yet (${file} does not exist)\n`)
    return 1
  }
  const library = CaptionLibrary.open(file)
  const writer = mode ? new MetadataWriter() : null
  try {
    const { hits, more } = library.search(words, limit)
    if (hits.length === 0) {
      io.err(`smolvlm: no caption holds ${printable(words)}\n`)
      return 1
    }
    if (values.csv) io.out(`${CSV_HEADER}\r\n`)
    let failures = 0
    for (const hit of hits) {
      const shown = values.history ? library.history(hit.path, hit.contentHash) : [hit]
      let metadata: ReturnType<typeof metadataJson> | undefined
      if (writer && hit.path !== '') {
        const report = await writer.write(hit.path, hit.text, { mode: mode ?? 'embedded', policy, naming })
        if (report.outcome === 'failed') failures++
        metadata = metadataJson(report)
        if (!values.json)
          io.err(`smolvlm: ${printable(hit.path)}: metadata ${printable(metadataLine(report))}\n`)
      }
      for (const entry of shown) {
        const asHit = { ...entry, parts: [] }
        if (values.json) io.out(hitJson(asHit, metadata ? { metadata } : {}))
        else if (values.csv) io.out(hitCsv(asHit))
        else {
          const when = new Date(entry.createdAt).toISOString().slice(0, 16).replace('T', ' ')
          io.out(
            `${printable(entry.path || entry.name)}  (${when}, ${entry.model ?? 'unknown model'})\n  ${printable(entry.text)}\n`
          )
        }
      }
    }
    if (more) io.err(`smolvlm: more images match; --limit ${Math.min(limit * 5, 10_000)} shows more\n`)
    return failures > 0 ? 1 : 0
  } finally {
    library.close()
    await writer?.close()
  }
}

export async function runLibrary(argv: readonly string[], io: Output = stdio): Promise<number> {
  const [command] = argv
  const file = libraryFile(defaultStoreRoot())
  if (command === 'path') {
    io.out(`${file}\n`)
    return 0
  }
  if (command === 'count' || command === 'clear') {
    if (!existsSync(file)) {
      io.out(command === 'count' ? '0\n' : '')
      return 0
    }
    const library = CaptionLibrary.open(file)
    try {
      if (command === 'count') io.out(`${library.count()}\n`)
      else {
        const count = library.count()
        library.clear()
        io.err(`smolvlm: forgot ${count} caption${count === 1 ? '' : 's'}\n`)
      }
    } finally {
      library.close()
    }
    return 0
  }
  if (command === '--help' || command === '-h') {
    io.out(LIBRARY_USAGE)
    return 0
  }
  throw new UsageError(
    command === undefined ? 'Give path, count or clear.' : `Unknown library command "${command}".`
  )
}

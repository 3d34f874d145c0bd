/**
 * The caption library: every finished caption, kept on this machine in one SQLite file with an FTS5 full-text
 * index, by the app and by the CLI alike. Binding: better-sqlite3 12 (FTS5 compiled in; synchronous calls take
 * microseconds per row, so the main process can own it; version 13 needs Node 22, node:sqlite Node 22.5, and CI
 * runs Node 20). Its native module is rebuilt for Electron when the app is packaged.
 *
 * Rows are never updated except for `path`/`name` (an image found again elsewhere by its content hash) and
 * `writes` (files written from the caption later); the FTS index follows the table through triggers.
 */
import { mkdirSync } from 'node:fs'
import { basename, dirname } from 'node:path'
import Database from 'better-sqlite3'
import type { Database as SqliteDatabase, Statement } from 'better-sqlite3'
import { highlightParts, MATCH_END, MATCH_START, toFtsQuery } from './search-query.ts'

/** A file written from a caption: a .txt sidecar, the image's own metadata, an .xmp sidecar. */
export interface LibraryWrite {
  readonly kind: 'txt' | 'embedded' | 'xmp'
  readonly file: string
  readonly outcome: string
}

export interface CaptionRecord {
  /** Absolute path of the image when it was described ('' for a pasted image). */
  readonly path: string
  /** The image's name as shown (defaults to the path's base name). */
  readonly name?: string
  /** sha256 of the file's bytes, hex; null when unknown. */
  readonly contentHash: string | null
  readonly size: number | null
  readonly source: 'app' | 'cli'
  readonly model: string | null
  readonly variant: string | null
  readonly device: string | null
  readonly prompt: string
  readonly text: string
  readonly writes?: readonly LibraryWrite[]
  /** ms since the epoch; default now. */
  readonly createdAt?: number
}

export interface LibraryEntry extends Required<Omit<CaptionRecord, 'writes'>> {
  readonly id: number
  readonly writes: LibraryWrite[]
}

export interface SearchHit extends LibraryEntry {
  /** The caption split into parts, matched words marked. */
  readonly parts: { text: string; match: boolean }[]
}

export interface SearchResult {
  readonly hits: SearchHit[]
  /** More images matched than `limit`. */
  readonly more: boolean
}

const SCHEMA_VERSION = 1

const SCHEMA = `
CREATE TABLE captions (
  id INTEGER PRIMARY KEY,
  path TEXT NOT NULL,
  name TEXT NOT NULL,
  content_hash TEXT,
  size INTEGER,
  created_at INTEGER NOT NULL,
  source TEXT NOT NULL,
  model TEXT,
  variant TEXT,
  device TEXT,
  prompt TEXT NOT NULL,
  text TEXT NOT NULL,
  writes TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX captions_by_hash ON captions (content_hash);
CREATE INDEX captions_by_path ON captions (path);
CREATE VIRTUAL TABLE captions_fts USING fts5 (
  text, name, content = 'captions', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER captions_ai AFTER INSERT ON captions BEGIN
  INSERT INTO captions_fts (rowid, text, name) VALUES (new.id, new.text, new.name);
END;
CREATE TRIGGER captions_ad AFTER DELETE ON captions BEGIN
  INSERT INTO captions_fts (captions_fts, rowid, text, name) VALUES ('delete', old.id, old.text, old.name);
END;
CREATE TRIGGER captions_au AFTER UPDATE OF text, name ON captions BEGIN
  INSERT INTO captions_fts (captions_fts, rowid, text, name) VALUES ('delete', old.id, old.text, old.name);
  INSERT INTO captions_fts (rowid, text, name) VALUES (new.id, new.text, new.name);
END;
`

interface Row {
  id: number
  path: string
  name: string
  content_hash: string | null
  size: number | null
  created_at: number
  source: string
  model: string | null
  variant: string | null
  device: string | null
  prompt: string
  text: string
  writes: string
  marked?: string
  score?: number
}

function parseWrites(json: string): LibraryWrite[] {
  try {
    const parsed: unknown = JSON.parse(json)
    return Array.isArray(parsed) ? (parsed as LibraryWrite[]) : []
  } catch {
    // A damaged column loses only its write list.
    return []
  }
}

function toEntry(row: Row): LibraryEntry {
  const writes = parseWrites(row.writes)
  return {
    id: row.id,
    path: row.path,
    name: row.name,
    contentHash: row.content_hash,
    size: row.size,
    createdAt: row.created_at,
    source: row.source === 'cli' ? 'cli' : 'app',
    model: row.model,
    variant: row.variant,
    device: row.device,
    prompt: row.prompt,
    text: row.text,
    writes
  }
}

const COLUMNS =
  'c.id, c.path, c.name, c.content_hash, c.size, c.created_at, c.source, c.model, c.variant, c.device, c.prompt, c.text, c.writes'

export class CaptionLibrary {
  private readonly statements: {
    insert: Statement
    relocate: Statement
    search: Statement
    history: Statement
    latestForPath: Statement
    setWrites: Statement
    count: Statement
  }

  private constructor(
    private readonly db: SqliteDatabase,
    readonly file: string
  ) {
    this.statements = {
      insert: db.prepare(
        `INSERT INTO captions (path, name, content_hash, size, created_at, source, model, variant, device, prompt, text, writes)
         VALUES (@path, @name, @contentHash, @size, @createdAt, @source, @model, @variant, @device, @prompt, @text, @writes)`
      ),
      relocate: db.prepare(
        'UPDATE captions SET path = @path, name = @name WHERE content_hash = @contentHash AND path <> @path'
      ),
      search: db.prepare(
        `SELECT ${COLUMNS}, rank AS score, highlight(captions_fts, 0, '${MATCH_START}', '${MATCH_END}') AS marked
         FROM captions_fts JOIN captions c ON c.id = captions_fts.rowid
         WHERE captions_fts MATCH ? ORDER BY rank LIMIT ?`
      ),
      history: db.prepare(
        `SELECT ${COLUMNS} FROM captions c WHERE c.path = @path OR (@contentHash IS NOT NULL AND c.content_hash = @contentHash)
         ORDER BY c.created_at DESC, c.id DESC LIMIT 500`
      ),
      latestForPath: db.prepare('SELECT id, writes FROM captions WHERE path = ? ORDER BY id DESC LIMIT 1'),
      setWrites: db.prepare('UPDATE captions SET writes = ? WHERE id = ?'),
      count: db.prepare('SELECT count(*) AS n FROM captions')
    }
  }

  /** Opens (creating it and its folder if needed) the library at `file`; ':memory:' for a throwaway one. */
  static open(file: string): CaptionLibrary {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true })
    const db = new Database(file)
    try {
      // WAL: the CLI and the app may write at once; readers never wait for a writer.
      db.pragma('journal_mode = WAL')
      db.pragma('synchronous = NORMAL')
      db.pragma('busy_timeout = 5000')
      const version = db.pragma('user_version', { simple: true }) as number
      if (version === 0) {
        db.transaction(() => {
          db.exec(SCHEMA)
          db.pragma(`user_version = ${SCHEMA_VERSION}`)
        })()
      } else if (version !== SCHEMA_VERSION) {
        throw new Error(`${file} was written by a newer SmolVLM (library version ${version})`)
      }
      return new CaptionLibrary(db, file)
    } catch (error) {
      db.close()
      throw error
    }
  }

  /**
   * Keeps one caption. Earlier captions of the same content (same hash) at another path are moved to this path:
   * a moved or renamed file is found again when it is described (or added) again.
   */
  record(entry: CaptionRecord): number {
    const name = entry.name ?? (entry.path === '' ? 'pasted image' : basename(entry.path))
    return this.db.transaction(() => {
      if (entry.contentHash !== null && entry.path !== '')
        this.statements.relocate.run({ path: entry.path, name, contentHash: entry.contentHash })
      const result = this.statements.insert.run({
        path: entry.path,
        name,
        contentHash: entry.contentHash,
        size: entry.size,
        createdAt: entry.createdAt ?? Date.now(),
        source: entry.source,
        model: entry.model,
        variant: entry.variant,
        device: entry.device,
        prompt: entry.prompt,
        // As shown everywhere: without the whitespace a model may put around its answer.
        text: entry.text.trim(),
        writes: JSON.stringify(entry.writes ?? [])
      })
      return Number(result.lastInsertRowid)
    })()
  }

  /** Many captions in one transaction (imports, the benchmark). */
  recordMany(entries: readonly CaptionRecord[]): void {
    this.db.transaction(() => {
      for (const entry of entries) this.record(entry)
    })()
  }

  /** Adds files written from the latest caption of an image (Save captions after the fact). */
  noteWrites(path: string, writes: readonly LibraryWrite[]): boolean {
    const row = this.statements.latestForPath.get(path) as { id: number; writes: string } | undefined
    if (!row) return false
    const before = parseWrites(row.writes)
    this.statements.setWrites.run(JSON.stringify([...before, ...writes]), row.id)
    return true
  }

  /**
   * Images whose captions (or names) hold all the words, best match first, one hit per image (its best-matching
   * caption). Words are prefixes ("kit" finds "kite"); see search-query.ts.
   */
  search(words: string, limit = 100): SearchResult {
    const query = toFtsQuery(words)
    if (query === null) return { hits: [], more: false }
    const hits: SearchHit[] = []
    // Per image: where its hit is, and the score and id of the row shown.
    const best = new Map<string, { index: number; score: number; id: number }>()
    // Several captions may belong to one image: read a few more rows than asked for, then keep one per image.
    // (A second ORDER BY term for ties would make FTS5 rank every match: 2-3x slower at 100,000 captions.)
    const rows = this.statements.search.all(query, limit * 4 + 1) as Row[]
    let more = false
    for (const row of rows) {
      const key = row.content_hash ?? `path:${row.path}`
      const score = row.score ?? 0
      const known = best.get(key)
      if (known) {
        // The same caption kept twice scores the same: the newest one stands for the image.
        if (score === known.score && row.id > known.id) {
          hits[known.index] = { ...toEntry(row), parts: highlightParts(row.marked ?? row.text) }
          known.id = row.id
        }
        continue
      }
      if (hits.length === limit) {
        more = true
        break
      }
      best.set(key, { index: hits.length, score, id: row.id })
      hits.push({ ...toEntry(row), parts: highlightParts(row.marked ?? row.text) })
    }
    return { hits, more }
  }

  /** Every caption of one image, newest first: by its path, and by its content wherever it was. */
  history(path: string, contentHash: string | null = null): LibraryEntry[] {
    return (this.statements.history.all({ path, contentHash }) as Row[]).map(toEntry)
  }

  count(): number {
    return (this.statements.count.get() as { n: number }).n
  }

  /** Forgets every caption (the file stays, empty). */
  clear(): void {
    this.db.transaction(() => {
      this.db.exec('DROP TABLE captions_fts; DROP TABLE captions;')
      this.db.exec(SCHEMA)
    })()
    this.db.exec('VACUUM')
  }

  close(): void {
    if (this.db.open) this.db.close()
  }
}

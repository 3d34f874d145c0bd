/**
 * People's search words → an FTS5 query. Every word becomes a quoted prefix term ("kit"* finds kite, kites), all
 * must match; "quoted phrases" stay phrases; a leading - excludes a word. Nothing the user types can reach FTS5's
 * own syntax (column filters, NEAR, parentheses), so no input is a syntax error.
 */

/** Marks around matched words in highlighted text (control characters a caption never contains). */
export const MATCH_START = '\u0002'
export const MATCH_END = '\u0003'

interface Term {
  readonly text: string
  readonly phrase: boolean
  readonly exclude: boolean
}

function terms(input: string): Term[] {
  const found: Term[] = []
  const pattern = /(-?)"([^"]*)"|(-?)(\S+)/g
  for (const match of input.matchAll(pattern)) {
    const phrase = match[2] !== undefined
    const raw = phrase ? (match[2] ?? '') : (match[4] ?? '')
    // Only letters and digits make tokens for FTS5's unicode61 tokenizer; the rest separates words.
    const text = raw
      .replace(/[^\p{L}\p{N}]+/gu, ' ')
      .trim()
      .toLowerCase()
    if (text === '') continue
    const exclude = (phrase ? match[1] : match[3]) === '-'
    if (phrase) found.push({ text, phrase: true, exclude })
    else for (const word of text.split(' ')) found.push({ text: word, phrase: false, exclude })
  }
  return found
}

/** The FTS5 MATCH expression for the words, or null when they hold nothing to search for. */
export function toFtsQuery(input: string): string | null {
  const all = terms(input)
  const include = all.filter((t) => !t.exclude)
  // FTS5 cannot answer "NOT x" alone: at least one word must be wanted.
  if (include.length === 0) return null
  const quote = (t: Term) => (t.phrase ? `"${t.text}"` : `"${t.text}"*`)
  let query = include.map(quote).join(' AND ')
  for (const t of all.filter((t) => t.exclude)) query += ` NOT ${quote(t)}`
  return query
}

/** A highlighted text split into plain and matched parts, in order. */
export function highlightParts(marked: string): { text: string; match: boolean }[] {
  const parts: { text: string; match: boolean }[] = []
  let rest = marked
  while (rest !== '') {
    const start = rest.indexOf(MATCH_START)
    if (start === -1) {
      parts.push({ text: rest, match: false })
      break
    }
    if (start > 0) parts.push({ text: rest.slice(0, start), match: false })
    const end = rest.indexOf(MATCH_END, start)
    const stop = end === -1 ? rest.length : end
    parts.push({ text: rest.slice(start + 1, stop), match: true })
    rest = end === -1 ? '' : rest.slice(end + 1)
  }
  return parts.filter((p) => p.text !== '')
}

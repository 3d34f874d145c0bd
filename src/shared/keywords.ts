/**
 * Keyword mode: a model's answer to the keyword prompt as a clean keyword list. Pure and free of Node, so the
 * renderer (chips, exports), the host and the CLI compute the same list from the same answer.
 *
 * The caption itself stays the model's raw answer; the list is derived from it with the options in effect, so
 * changing an option changes the list without describing the image again.
 */
import { z } from 'zod'

/**
 * The prompt of the keyword preset. SmolVLM follows short, direct instructions; asked for "tags" it tends to
 * answer with a sentence, asked for comma-separated keywords it mostly gives a list (and sometimes still a
 * sentence, which normalizeKeywords handles).
 */
export const KEYWORD_PROMPT = 'List keywords for this image, separated by commas.'

/** Whether a caption answers the keyword prompt, so its answer is shown and saved as keywords. */
export function isKeywordPrompt(prompt: string | null | undefined): boolean {
  return (prompt ?? '').trim() === KEYWORD_PROMPT
}

export const KEYWORD_LIMITS = {
  /** The most keywords one list may keep (stock sites accept up to 50; 200 is far beyond any model answer). */
  maxCount: 200,
  /** Entries of the exclude and always-include lists. */
  listEntries: 200,
  /** A keyword longer than this, or with more words than maxWords, is a sentence, not a keyword: dropped. */
  keywordChars: 64,
  maxWords: 6
} as const

const KeywordEntrySchema = z
  .string()
  .max(KEYWORD_LIMITS.keywordChars)
  .refine((word) => !/[\r\n\0]/.test(word), 'must be one line')

export const KeywordOptionsSchema = z.strictObject({
  /** At most this many keywords; the always-include ones count towards it (see normalizeKeywords). */
  maxCount: z.int().min(1).max(KEYWORD_LIMITS.maxCount),
  lowercase: z.boolean(),
  /** Keywords never kept: a whole-keyword match, ignoring case (excluding "dog" keeps "hot dog"). */
  exclude: z.array(KeywordEntrySchema).max(KEYWORD_LIMITS.listEntries),
  /** Keywords always kept, first, in this order (e.g. a dataset's trigger word or a shoot's location). */
  include: z.array(KeywordEntrySchema).max(KEYWORD_LIMITS.listEntries),
  /** Caption files (.txt) get multi-word tags with underscores (booru style: "long_hair"); chips, tables and metadata keep spaces. */
  underscores: z.boolean()
})
export type KeywordOptions = z.infer<typeof KeywordOptionsSchema>

export const DEFAULT_KEYWORD_OPTIONS: KeywordOptions = {
  maxCount: 25,
  lowercase: true,
  exclude: [],
  include: [],
  underscores: false
}

/** Openings of a list ("Keywords: dog, …", "Here are some tags for the image: …"). */
const LIST_LEAD_INS = [
  /^here (?:are|is) (?:some |the |a list of )?(?:keywords|tags)\b[^:]*:\s*/i,
  // "Keywords:", "Tags -", "The keywords are dog, …" and "The keywords are: dog, …" (the colon after "are" too).
  /^(?:the )?(?:keywords|tags|key words)(?: (?:for|of) (?:this|the) (?:image|picture|photo)\b)?\s*(?::|-|(?:are|is)\b\s*:?)\s*/i
]

/** Openings of a sentence ("The image shows a dog, …", "There is a dog …"): the answer is prose. */
const SENTENCE_LEAD_INS = [
  /^(?:in )?(?:this|the) (?:image|picture|photo(?:graph)?)\b(?: (?:shows|features|contains|depicts|has|is of|there (?:is|are))\b)?\s*[:,]?\s*/i,
  /^there (?:is|are)\s+/i,
  /^(?:it|this) (?:shows|features|contains|depicts|is)\s+/i
]

const LEAD_INS = [...LIST_LEAD_INS, ...SENTENCE_LEAD_INS]

/** Where a sentence answer is cut into keywords. */
const SENTENCE_JOINS =
  /\s+(?:and|&|with|in|on|at|near|under|over|behind|beside|by|next to|in front of|on top of)\s+/i

/** Whether the answer reads as a sentence rather than a list: then " and " also separates keywords. */
function isProse(text: string): boolean {
  const trimmed = text.trim()
  return /[.!]$/.test(trimmed) || SENTENCE_LEAD_INS.some((lead) => lead.test(trimmed))
}

function stripLeadIns(part: string): string {
  // A line that is only a list's heading ("Keywords:", "Here are some tags for this image:") is no keyword.
  if (LIST_LEAD_INS.some((lead) => lead.test(part) && part.replace(lead, '').trim() === '')) return ''
  let text = part
  for (let changed = true; changed;) {
    changed = false
    for (const lead of LEAD_INS) {
      const next = text.replace(lead, '')
      if (next !== text && next.trim() !== '') {
        text = next
        changed = true
      }
    }
  }
  return text
}

/** One raw piece of the answer → a keyword, or '' when nothing is left of it. */
function cleanKeyword(piece: string): string {
  let word = stripLeadIns(piece.trim())
  word = word
    // List markers: "1. ", "2) ", "-", "*", "•", "#dog" (not the "5." of "5.1 surround").
    .replace(/^(?:\d+[.)]\s+|[-*•·–—]+\s*|#+(?=\S))/, '')
    // Joining words left at the start by a split on commas ("…, and grass").
    .replace(/^(?:and|or|with|plus|also)\s+/i, '')
    // Articles: keywords are nouns without them ("a dog" → "dog").
    .replace(/^(?:a|an|the|some)\s+/i, '')
    .replace(/\s+/g, ' ')
    .trim()
  // Surrounding quotes and markdown emphasis, trailing punctuation, repeatedly ("**'dog'.**" → dog). Brackets
  // stay: "(animal)" at the end of "dog (animal)" is part of the keyword.
  for (let before = ''; before !== word;) {
    before = word
    word = word
      .replace(/^["'“”‘’`*]+|["'“”‘’`*]+$/g, '')
      .replace(/[.!?:…]+$/, '')
      .replace(/\s*\b(?:etc|and so on)$/i, '')
      .trim()
  }
  return word
}

/** The key two keywords are the same under: case and underscore/space differences do not count. */
export function keywordKey(keyword: string): string {
  return keyword
    .toLowerCase()
    .replace(/[_\s]+/g, ' ')
    .trim()
}

function isKeyword(word: string): boolean {
  return (
    word !== '' &&
    word.length <= KEYWORD_LIMITS.keywordChars &&
    word.split(' ').length <= KEYWORD_LIMITS.maxWords &&
    /[\p{L}\p{N}]/u.test(word)
  )
}

/**
 * The model's answer → its keywords in order: split on commas, semicolons, pipes and lines (and at "and" and
 * joining prepositions such as "with", "in", "on" when the answer is a sentence), list markers, lead-ins ("The image shows", "Keywords:"), articles, quotes and
 * trailing periods removed, whitespace collapsed, empties and sentence-long pieces (over 64 characters or 6
 * words) dropped. Duplicates are not removed here (normalizeKeywords does that).
 */
export function splitAnswer(answer: string): string[] {
  // Markdown bold anywhere ("**Keywords:** dog, cat") would hide a lead-in from the patterns below.
  const text = answer.replace(/\*\*/g, '')
  const prose = isProse(text)
  // Hashtags separated by spaces alone ("#dog #cat") are one keyword each.
  const pieces = text.split(/[,;|\n\r]+|\s+(?=#\p{L})/u)
  const words: string[] = []
  for (const piece of pieces) {
    // A sentence is cut at "and" and at the prepositions that join its nouns ("a dog playing with a ball in a
    // park" → dog playing, ball, park). A list keeps "black and white" and "man in suit" whole.
    const parts = prose ? stripLeadIns(piece.trim()).split(SENTENCE_JOINS) : [piece]
    for (const part of parts) {
      const word = cleanKeyword(part)
      if (isKeyword(word)) words.push(word)
    }
  }
  return words
}

function cleanEntry(entry: string, lowercase: boolean): string {
  const word = entry.trim().replace(/\s+/g, ' ')
  return lowercase ? word.toLowerCase() : word
}

/**
 * The answer as the keyword list the options ask for:
 * 1. the always-include entries first, in their order (they are kept even when also excluded: asked for by
 *    name twice, the explicit "always" wins);
 * 2. then the answer's keywords (splitAnswer), minus the excluded ones (a whole-keyword match ignoring case and
 *    underscores: excluding "dog" drops "Dog" but keeps "hot dog");
 * 3. lowercased when asked; a repeat (ignoring case and underscores) keeps its first spelling;
 * 4. at most maxCount in all: the always-include entries count towards it and are never the ones cut (when
 *    they alone reach maxCount, all of them stay and nothing of the answer is added).
 * Plural and singular forms are different keywords ("dog", "dogs"): merging them needs a language's rules.
 */
export function normalizeKeywords(answer: string, options: KeywordOptions): string[] {
  const excluded = new Set(options.exclude.map(keywordKey).filter((key) => key !== ''))
  const seen = new Set<string>()
  const keywords: string[] = []
  const add = (word: string): void => {
    const key = keywordKey(word)
    if (key === '' || seen.has(key)) return
    seen.add(key)
    keywords.push(word)
  }
  for (const entry of options.include) add(cleanEntry(entry, options.lowercase))
  const limit = Math.max(options.maxCount, keywords.length)
  for (const word of splitAnswer(answer)) {
    if (keywords.length >= limit) break
    if (excluded.has(keywordKey(word))) continue
    add(options.lowercase ? word.toLowerCase() : word)
  }
  return keywords
}

/** One keyword as a booru tag: spaces become underscores ("long hair" → "long_hair"). */
export function asTag(keyword: string, underscores: boolean): string {
  return underscores ? keyword.replace(/ /g, '_') : keyword
}

/**
 * A caption file's line for a keyword list: comma-separated tags, the trigger word first (booru and dataset
 * trainers' convention: "ohwx, dog, ball"), never twice. The trigger word itself is left as typed.
 */
export function keywordTagLine(
  keywords: readonly string[],
  options: Pick<KeywordOptions, 'underscores'>,
  triggerWord = ''
): string {
  const trigger = triggerWord.trim()
  const tags = keywords
    .filter((keyword) => trigger === '' || keywordKey(keyword) !== keywordKey(trigger))
    .map((keyword) => asTag(keyword, options.underscores))
  return (trigger === '' ? tags : [trigger, ...tags]).join(', ')
}

/** Parses a typed list ("dog, cat; hot dog") into entries: the settings field and the CLI's --exclude/--include. */
export function parseKeywordList(text: string): string[] {
  const seen = new Set<string>()
  const entries: string[] = []
  for (const part of text.split(/[,;\n\r]+/)) {
    const word = part.trim().replace(/\s+/g, ' ').slice(0, KEYWORD_LIMITS.keywordChars)
    if (word === '' || seen.has(keywordKey(word))) continue
    seen.add(keywordKey(word))
    entries.push(word)
    if (entries.length === KEYWORD_LIMITS.listEntries) break
  }
  return entries
}

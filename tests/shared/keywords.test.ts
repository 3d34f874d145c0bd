/**
 * Keyword mode's normalisation as a specification: what a small VLM really answers to "List keywords for this
 * image, separated by commas." (lists, sentences, numbered lines, lead-ins, repeats in other case) and the
 * options (how many, never these, always these, lowercase), then the caption-file line and the settings schema.
 */
import { describe, expect, it } from 'vitest'
import {
  DEFAULT_KEYWORD_OPTIONS,
  isKeywordPrompt,
  KEYWORD_PROMPT,
  keywordTagLine,
  KeywordOptionsSchema,
  normalizeKeywords,
  parseKeywordList,
  splitAnswer
} from '../../src/shared/keywords.ts'
import type { KeywordOptions } from '../../src/shared/keywords.ts'
import { recoverSettings, SettingsSchema, DEFAULT_SETTINGS } from '../../src/shared/settings.ts'

/** The options with nothing switched on: no lowercase, no lists, a limit no answer reaches. */
const PLAIN: KeywordOptions = {
  maxCount: 200,
  lowercase: false,
  exclude: [],
  include: [],
  underscores: false
}
const plain = (answer: string): string[] => normalizeKeywords(answer, PLAIN)

describe('splitting a model answer into keywords', () => {
  it('splits a comma-separated list and trims each keyword', () => {
    expect(plain('dog,  ball ,grass')).toEqual(['dog', 'ball', 'grass'])
  })

  it('splits on semicolons, pipes and lines too', () => {
    expect(plain('dog; ball | grass\nsky\r\ntree')).toEqual(['dog', 'ball', 'grass', 'sky', 'tree'])
  })

  it('reads a sentence answer: lead-in, articles, "and" and the final period go', () => {
    expect(plain('The image shows a dog, a ball and grass.')).toEqual(['dog', 'ball', 'grass'])
  })

  it('reads other sentence openings the same way', () => {
    expect(plain('In this image there is a red car, a tree and a house.')).toEqual([
      'red car',
      'tree',
      'house'
    ])
    expect(plain('This picture features mountains, a lake, and snow.')).toEqual(['mountains', 'lake', 'snow'])
    expect(plain('There are two cats and a sofa.')).toEqual(['two cats', 'sofa'])
  })

  it('cuts a sentence without commas at the words that join its nouns', () => {
    expect(plain('The image shows a dog playing with a ball in a park.')).toEqual([
      'dog playing',
      'ball',
      'park'
    ])
    expect(plain('A cup of coffee on a wooden table next to a laptop.')).toEqual([
      'cup of coffee',
      'wooden table',
      'laptop'
    ])
  })

  it('keeps a plain list\'s keywords whole ("man in suit")', () => {
    expect(plain('man in suit, city, cup of coffee')).toEqual(['man in suit', 'city', 'cup of coffee'])
  })

  it('keeps "and" inside a keyword of a plain list ("black and white")', () => {
    expect(plain('black and white, street, rock and roll')).toEqual([
      'black and white',
      'street',
      'rock and roll'
    ])
  })

  it('drops the "and" a list puts before its last item (Oxford comma)', () => {
    expect(plain('beach, sand, and sea')).toEqual(['beach', 'sand', 'sea'])
  })

  it('reads numbered and bulleted lines', () => {
    expect(plain('1. dog\n2. ball\n3) grass')).toEqual(['dog', 'ball', 'grass'])
    expect(plain('- dog\n- ball\n* grass\n• sky')).toEqual(['dog', 'ball', 'grass', 'sky'])
  })

  it('drops a heading line of its own ("Keywords:") before a list', () => {
    expect(plain('Keywords:\n- dog\n- cat')).toEqual(['dog', 'cat'])
    expect(plain('Here are some tags for this image:\n1. beach\n2. sunset')).toEqual(['beach', 'sunset'])
  })

  it('keeps numbers that are part of a keyword', () => {
    expect(plain('5.1 surround, 3. speaker, 1990s, 2 dogs')).toEqual([
      '5.1 surround',
      'speaker',
      '1990s',
      '2 dogs'
    ])
  })

  it('removes a "Keywords:" or "Tags:" prefix and a "Here are" opening', () => {
    expect(plain('Keywords: dog, ball')).toEqual(['dog', 'ball'])
    expect(plain('Tags - beach, sunset')).toEqual(['beach', 'sunset'])
    expect(plain('Here are some keywords for this image: cat, window, sunlight')).toEqual([
      'cat',
      'window',
      'sunlight'
    ])
  })

  it('removes a "The keywords are:" opening, colon included', () => {
    expect(plain('The keywords are: dog, ball')).toEqual(['dog', 'ball'])
    expect(plain('Tags are: beach, sunset')).toEqual(['beach', 'sunset'])
    expect(plain('The keywords are dog, ball')).toEqual(['dog', 'ball'])
  })

  it('removes a lead-in written in markdown bold ("**Keywords:** dog")', () => {
    expect(plain('**Keywords:** dog, ball')).toEqual(['dog', 'ball'])
    expect(plain('**Tags:**\n- beach\n- sunset')).toEqual(['beach', 'sunset'])
  })

  it('splits hashtags separated by spaces only', () => {
    expect(plain('#dog #ball #green grass')).toEqual(['dog', 'ball', 'green grass'])
  })

  it('removes quotes, hashtags, markdown emphasis and trailing punctuation around a keyword', () => {
    expect(plain('"dog", \'ball\', “grass”, #summer, **sky**, tree.')).toEqual([
      'dog',
      'ball',
      'grass',
      'summer',
      'sky',
      'tree'
    ])
  })

  it('collapses whitespace inside a keyword', () => {
    expect(plain('golden   retriever,\tgreen\t grass')).toEqual(['golden retriever', 'green grass'])
  })

  it('keeps brackets that belong to a keyword', () => {
    expect(plain('jaguar (animal), car')).toEqual(['jaguar (animal)', 'car'])
  })

  it('drops empty pieces, lone punctuation and "etc."', () => {
    expect(plain('dog,, , ball, ..., etc.')).toEqual(['dog', 'ball'])
    expect(plain('dog, ball, grass etc.')).toEqual(['dog', 'ball', 'grass'])
  })

  it('drops a piece that is a sentence rather than a keyword (over 6 words or 64 characters)', () => {
    expect(plain('dog, a small brown dog is playing with a ball on the grass, ball')).toEqual(['dog', 'ball'])
    expect(plain(`dog, ${'x'.repeat(65)}, ball`)).toEqual(['dog', 'ball'])
  })

  it('gives no keywords for an empty or whitespace answer', () => {
    expect(plain('')).toEqual([])
    expect(plain('  \n ')).toEqual([])
  })

  it('does not cut the start of a longer word that looks like a lead-in ("the photographer")', () => {
    expect(plain('the photographer, camera')).toEqual(['photographer', 'camera'])
  })

  it('keeps non-Latin keywords', () => {
    expect(plain('犬, ボール, Straße')).toEqual(['犬', 'ボール', 'Straße'])
  })

  it('splitAnswer keeps repeats (deduplication is normalizeKeywords’ job)', () => {
    expect(splitAnswer('dog, Dog, dog')).toEqual(['dog', 'Dog', 'dog'])
  })
})

describe('the options', () => {
  it('removes repeats ignoring case, keeping the first spelling', () => {
    expect(plain('Dog, dog, DOG, ball, Ball')).toEqual(['Dog', 'ball'])
  })

  it('treats underscores and spaces as the same when removing repeats', () => {
    expect(plain('long hair, long_hair')).toEqual(['long hair'])
  })

  it('does not merge plural and singular forms', () => {
    expect(plain('dog, dogs')).toEqual(['dog', 'dogs'])
  })

  it('lowercases when asked', () => {
    expect(normalizeKeywords('Golden Retriever, Park', { ...PLAIN, lowercase: true })).toEqual([
      'golden retriever',
      'park'
    ])
  })

  it('keeps at most maxCount keywords, the first ones', () => {
    expect(normalizeKeywords('a1, a2, a3, a4, a5', { ...PLAIN, maxCount: 3 })).toEqual(['a1', 'a2', 'a3'])
  })

  it('counts repeats once towards maxCount', () => {
    expect(normalizeKeywords('dog, Dog, ball, grass', { ...PLAIN, maxCount: 2 })).toEqual(['dog', 'ball'])
  })

  it('excludes a whole keyword ignoring case', () => {
    expect(normalizeKeywords('Dog, image, ball', { ...PLAIN, exclude: ['dog', 'IMAGE'] })).toEqual(['ball'])
  })

  it('does not exclude a word inside a multi-word keyword', () => {
    expect(normalizeKeywords('dog, hot dog, dog park', { ...PLAIN, exclude: ['dog'] })).toEqual([
      'hot dog',
      'dog park'
    ])
  })

  it('excludes across underscores and spaces', () => {
    expect(normalizeKeywords('long hair, smile', { ...PLAIN, exclude: ['long_hair'] })).toEqual(['smile'])
  })

  it('puts the always-include keywords first, in their order, without repeating them', () => {
    expect(normalizeKeywords('dog, Beach, ball', { ...PLAIN, include: ['beach', 'summer'] })).toEqual([
      'beach',
      'summer',
      'dog',
      'ball'
    ])
  })

  it('lowercases the always-include keywords too when asked', () => {
    expect(normalizeKeywords('dog', { ...PLAIN, lowercase: true, include: ['  Brand  Name '] })).toEqual([
      'brand name',
      'dog'
    ])
  })

  it('counts the always-include keywords towards maxCount and cuts the answer’s first', () => {
    expect(normalizeKeywords('dog, ball, grass', { ...PLAIN, maxCount: 3, include: ['ohwx'] })).toEqual([
      'ohwx',
      'dog',
      'ball'
    ])
  })

  it('keeps every always-include keyword even when they alone exceed maxCount', () => {
    expect(normalizeKeywords('dog, ball', { ...PLAIN, maxCount: 1, include: ['a', 'b'] })).toEqual(['a', 'b'])
  })

  it('keeps an always-include keyword that is also excluded', () => {
    expect(normalizeKeywords('dog, cat', { ...PLAIN, include: ['dog'], exclude: ['dog'] })).toEqual([
      'dog',
      'cat'
    ])
  })

  it('applies the defaults: lowercase, repeats removed, 25 at most', () => {
    const answer = Array.from({ length: 30 }, (_, i) => `Word${i}`).join(', ')
    const keywords = normalizeKeywords(`${answer}, word0`, DEFAULT_KEYWORD_OPTIONS)
    expect(keywords).toHaveLength(25)
    expect(keywords[0]).toBe('word0')
    expect(keywords[24]).toBe('word24')
  })

  it('normalises a realistic sentence answer with every option', () => {
    const options: KeywordOptions = {
      maxCount: 5,
      lowercase: true,
      exclude: ['image', 'photo'],
      include: ['ohwx'],
      underscores: true
    }
    expect(
      normalizeKeywords(
        'The image shows a Golden Retriever, a red ball, green grass, a photo, Golden retriever and a tree.',
        options
      )
    ).toEqual(['ohwx', 'golden retriever', 'red ball', 'green grass', 'tree'])
  })
})

describe('caption file line (booru style)', () => {
  it('joins the keywords with ", "', () => {
    expect(keywordTagLine(['dog', 'red ball'], { underscores: false })).toBe('dog, red ball')
  })

  it('puts the trigger word first and does not repeat it', () => {
    expect(keywordTagLine(['dog', 'OHWX', 'ball'], { underscores: false }, ' ohwx ')).toBe('ohwx, dog, ball')
  })

  it('writes multi-word tags with underscores when asked, leaving the trigger word as typed', () => {
    expect(keywordTagLine(['long hair', 'smile'], { underscores: true }, 'my style')).toBe(
      'my style, long_hair, smile'
    )
  })

  it('is the trigger word alone when there are no keywords', () => {
    expect(keywordTagLine([], { underscores: false }, 'ohwx')).toBe('ohwx')
    expect(keywordTagLine([], { underscores: false })).toBe('')
  })
})

describe('typed keyword lists and the settings', () => {
  it('parses a typed list on commas, semicolons and lines, without repeats', () => {
    expect(parseKeywordList(' dog, hot  dog;\nDog , ,cat')).toEqual(['dog', 'hot dog', 'cat'])
  })

  it('recognises the keyword prompt only', () => {
    expect(isKeywordPrompt(KEYWORD_PROMPT)).toBe(true)
    expect(isKeywordPrompt(` ${KEYWORD_PROMPT}\n`)).toBe(true)
    expect(isKeywordPrompt('Can you describe this image?')).toBe(false)
    expect(isKeywordPrompt(null)).toBe(false)
  })

  it('validates the options: a count from 1 to 200, one-line entries', () => {
    expect(KeywordOptionsSchema.safeParse(DEFAULT_KEYWORD_OPTIONS).success).toBe(true)
    expect(KeywordOptionsSchema.safeParse({ ...DEFAULT_KEYWORD_OPTIONS, maxCount: 0 }).success).toBe(false)
    expect(KeywordOptionsSchema.safeParse({ ...DEFAULT_KEYWORD_OPTIONS, maxCount: 2.5 }).success).toBe(false)
    expect(KeywordOptionsSchema.safeParse({ ...DEFAULT_KEYWORD_OPTIONS, exclude: ['a\nb'] }).success).toBe(
      false
    )
    expect(KeywordOptionsSchema.safeParse({ ...DEFAULT_KEYWORD_OPTIONS, extra: 1 }).success).toBe(false)
  })

  it('are part of the settings, with the defaults where a settings file has none or a broken one', () => {
    expect(DEFAULT_SETTINGS.keywords).toEqual(DEFAULT_KEYWORD_OPTIONS)
    expect(SettingsSchema.safeParse(DEFAULT_SETTINGS).success).toBe(true)
    expect(recoverSettings({ ...DEFAULT_SETTINGS, keywords: undefined }).settings.keywords).toEqual(
      DEFAULT_KEYWORD_OPTIONS
    )
    const broken = recoverSettings({ ...DEFAULT_SETTINGS, keywords: { maxCount: -1 } })
    expect(broken.settings.keywords).toEqual(DEFAULT_KEYWORD_OPTIONS)
    expect(broken.repaired).toEqual(['keywords'])
  })
})

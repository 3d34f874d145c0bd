import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CaptionRecord } from '../../src/library/caption-library.ts'
import { CaptionLibrary } from '../../src/library/caption-library.ts'
import { highlightParts, toFtsQuery } from '../../src/library/search-query.ts'

let dir: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'smolvlm-library-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

const caption = (overrides: Partial<CaptionRecord>): CaptionRecord => ({
  path: '/photos/kite.jpg',
  contentHash: 'aaaa',
  size: 1000,
  source: 'cli',
  model: 'smolvlm-256m',
  variant: 'q4',
  device: 'cpu',
  prompt: 'Can you describe this image?',
  text: 'A red kite over a green field.',
  ...overrides
})

describe('search words → FTS5 query', () => {
  it('every word is a required prefix term', () => {
    expect(toFtsQuery('red Kite')).toBe('"red"* AND "kite"*')
  })
  it('quoted phrases stay phrases and a leading dash excludes', () => {
    expect(toFtsQuery('"green field" -kite')).toBe('"green field" NOT "kite"*')
  })
  it("FTS5's own syntax is only text: no input is a syntax error", () => {
    expect(toFtsQuery('text:kite OR (NEAR "x')).toBe('"text"* AND "kite"* AND "or"* AND "near"* AND "x"*')
    expect(toFtsQuery('  -only ')).toBeNull()
    expect(toFtsQuery('*** ---')).toBeNull()
  })
  it('highlighted text splits into plain and matched parts', () => {
    expect(highlightParts('A \u0002kite\u0003 over')).toEqual([
      { text: 'A ', match: false },
      { text: 'kite', match: true },
      { text: ' over', match: false }
    ])
  })
})

describe('the caption library', () => {
  it('finds captions by their words, with the matched words marked, across openings of the file', () => {
    const file = join(dir, 'sessions.sqlite')
    const first = CaptionLibrary.open(file)
    first.record(caption({}))
    first.record(
      caption({ path: '/photos/cat.jpg', contentHash: 'bbbb', text: 'A grey cat asleep on a sofa.' })
    )
    first.close()

    const second = CaptionLibrary.open(file)
    try {
      const { hits, more } = second.search('kites')
      expect(hits).toEqual([])
      const found = second.search('kit green')
      expect(more).toBe(false)
      expect(found.hits.map((h) => h.path)).toEqual(['/photos/kite.jpg'])
      expect(found.hits[0]?.parts).toEqual([
        { text: 'A red ', match: false },
        { text: 'kite', match: true },
        { text: ' over a ', match: false },
        { text: 'green', match: true },
        { text: ' field.', match: false }
      ])
      expect(found.hits[0]).toMatchObject({
        name: 'kite.jpg',
        contentHash: 'aaaa',
        size: 1000,
        source: 'cli',
        model: 'smolvlm-256m',
        variant: 'q4',
        device: 'cpu',
        prompt: 'Can you describe this image?'
      })
    } finally {
      second.close()
    }
  })

  it('matches without diacritics and in any case', () => {
    const library = CaptionLibrary.open(':memory:')
    library.record(caption({ text: 'Un café à Paris' }))
    expect(library.search('CAFE paris').hits).toHaveLength(1)
    library.close()
  })

  it('one hit per image (its best caption), newest history first', () => {
    const library = CaptionLibrary.open(':memory:')
    library.record(caption({ text: 'A kite.', createdAt: 1000 }))
    library.record(caption({ text: 'A red kite, a kite, a kite.', createdAt: 2000 }))
    library.record(
      caption({ path: '/photos/other.jpg', contentHash: 'cccc', text: 'Another kite.', createdAt: 3000 })
    )
    expect(library.search('kite').hits.map((h) => h.path)).toEqual(['/photos/kite.jpg', '/photos/other.jpg'])
    expect(library.history('/photos/kite.jpg', 'aaaa').map((e) => e.text)).toEqual([
      'A red kite, a kite, a kite.',
      'A kite.'
    ])
    library.close()
  })

  it('says when more images match than the limit', () => {
    const library = CaptionLibrary.open(':memory:')
    library.recordMany(
      Array.from({ length: 5 }, (_, i) =>
        caption({ path: `/p/${i}.jpg`, contentHash: `h${i}`, text: `kite ${i}` })
      )
    )
    const result = library.search('kite', 3)
    expect(result.hits).toHaveLength(3)
    expect(result.more).toBe(true)
    library.close()
  })

  it('a moved file is found again by its content hash when it is described again', () => {
    const library = CaptionLibrary.open(':memory:')
    library.record(caption({ path: '/old/kite.jpg', text: 'A kite, first.' }))
    library.record(caption({ path: '/new/renamed.jpg', text: 'A kite, second.' }))
    const history = library.history('/new/renamed.jpg', 'aaaa')
    expect(history.map((e) => [e.path, e.text])).toEqual([
      ['/new/renamed.jpg', 'A kite, second.'],
      ['/new/renamed.jpg', 'A kite, first.']
    ])
    expect(library.search('first').hits[0]?.path).toBe('/new/renamed.jpg')
    library.close()
  })

  it('keeps the files written from a caption', () => {
    const library = CaptionLibrary.open(':memory:')
    library.record(caption({ writes: [{ kind: 'embedded', file: '/photos/kite.jpg', outcome: 'written' }] }))
    expect(
      library.noteWrites('/photos/kite.jpg', [{ kind: 'txt', file: '/photos/kite.txt', outcome: 'written' }])
    ).toBe(true)
    expect(library.history('/photos/kite.jpg')[0]?.writes).toEqual([
      { kind: 'embedded', file: '/photos/kite.jpg', outcome: 'written' },
      { kind: 'txt', file: '/photos/kite.txt', outcome: 'written' }
    ])
    expect(library.noteWrites('/nowhere.jpg', [])).toBe(false)
    library.close()
  })

  it('clear forgets everything and the library keeps working', () => {
    const file = join(dir, 'clear.sqlite')
    const library = CaptionLibrary.open(file)
    library.record(caption({}))
    library.clear()
    expect(library.count()).toBe(0)
    expect(library.search('kite').hits).toEqual([])
    library.record(caption({ text: 'After clearing, a kite.' }))
    expect(library.search('clearing').hits).toHaveLength(1)
    library.close()
  })

  it('two connections (the app and the CLI) write the same file', () => {
    const file = join(dir, 'shared.sqlite')
    const app = CaptionLibrary.open(file)
    const cli = CaptionLibrary.open(file)
    app.record(caption({ source: 'app', text: 'From the app, a kite.' }))
    cli.record(caption({ source: 'cli', text: 'From the command line, a kite.' }))
    expect(app.search('kite').hits).toHaveLength(1)
    expect(app.history('/photos/kite.jpg').map((e) => e.source)).toEqual(['cli', 'app'])
    app.close()
    cli.close()
  })
})

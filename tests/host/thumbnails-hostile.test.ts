import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeThumbnail } from '../../src/host/thumbnails.ts'
import { buildHostileCorpus } from '../support/hostile-corpus.ts'
import type { HostileCorpus } from '../support/hostile-corpus.ts'

/** Thumbnails (made in the main process) follow the engine's reading rules: nothing here may stall or parse SVG. */
describe('thumbnails of hostile files', () => {
  let corpus: HostileCorpus
  beforeAll(async () => {
    corpus = await buildHostileCorpus()
  })
  afterAll(() => corpus.cleanup())

  it.each(['fifo', 'dev-zero', 'dev-urandom', 'svg-as-png', 'svg-billion-laughs', 'folder', 'text-as-png'])(
    'refuses %s with bad-image at once',
    async (id) => {
      const entry = corpus.images.find((e) => e.id === id)
      if (!entry) return // not makeable here (corpus.skipped says why)
      await expect(makeThumbnail(entry.path, 'x.png')).rejects.toMatchObject({ code: 'bad-image' })
    }
  )

  it('still makes a thumbnail of an ordinary image', async () => {
    const entry = corpus.images.find((e) => e.id === 'valid-png')!
    const thumbnail = await makeThumbnail(entry.path, 'valid.png')
    expect(thumbnail).toMatchObject({ width: 48, height: 32 })
    expect(thumbnail.dataUrl).toMatch(/^data:image\/webp;base64,/)
  })
})

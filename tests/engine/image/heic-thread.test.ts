import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { decodeHeic } from '../../../src/engine/image/decode-heic.ts'
import { decodeHeicOffThread, heicThreadDecodes } from '../../../src/engine/image/heic-thread.ts'
import { imagePath } from '../../support/reference.ts'

const heic = (name: string) => readFileSync(imagePath(join('images/heic-raw', name)))

describe('decodeHeicOffThread', () => {
  it('decodes on the worker thread to the same pixels as on the calling thread', async () => {
    for (const name of ['wide.heic', 'rotated.heic']) {
      const before = heicThreadDecodes()
      const bytes = heic(name)
      const off = await decodeHeicOffThread(bytes, { name, maxPixels: 1e8 })
      expect(heicThreadDecodes()).toBe(before + 1)
      const here = await decodeHeic(bytes, { name, maxPixels: 1e8 })
      expect({ ...off, data: undefined }).toEqual({ ...here, data: undefined })
      expect(Buffer.from(off.data).equals(Buffer.from(here.data))).toBe(true)
      // The caller's bytes are its own still (a copy crossed to the worker).
      expect(bytes.byteLength).toBeGreaterThan(0)
    }
  })

  it('gives the typed errors: over the pixel limit, and a truncated file', async () => {
    await expect(
      decodeHeicOffThread(heic('wide.heic'), { name: 'wide.heic', maxPixels: 100 })
    ).rejects.toMatchObject({
      code: 'image-too-large',
      message: expect.stringMatching(/^wide\.heic is 96 x 64 pixels/)
    })
    const truncated = heic('wide.heic').subarray(0, 400)
    await expect(decodeHeicOffThread(truncated, { name: 'cut.heic', maxPixels: 1e8 })).rejects.toMatchObject({
      code: 'bad-image',
      message: expect.stringMatching(/^cut\.heic /)
    })
  })
})

import { afterAll, describe, expect, it } from 'vitest'
import { resizeLanczos } from '../../../src/engine/image/lanczos-resize.ts'
import { ResizePool } from '../../../src/engine/image/resize-pool.ts'

const image = (width: number, height: number) => ({
  width,
  height,
  data: Uint8Array.from({ length: width * height * 3 }, (_, i) => (i * 7919 + (i >> 7) * 31) % 256)
})

describe('ResizePool', () => {
  const pool = new ResizePool(3)
  afterAll(() => pool.close())

  it.each([
    [512, 512, 2048, 2048],
    [2048, 1536, 512, 512],
    [1600, 1200, 2048, 1536],
    [333, 777, 878, 2048],
    [3000, 700, 2048, 478],
    [700, 3000, 700, 2048]
  ])('gives the same bytes as the single-threaded resize, %ix%i -> %ix%i', async (w, h, toW, toH) => {
    const source = image(w, h)
    const before = pool.parallelResizes
    const parallel = await pool.resize(source, toW, toH)
    expect(pool.parallelResizes).toBe(before + 1)
    expect(Buffer.from(parallel.data).equals(Buffer.from(resizeLanczos(source, toW, toH).data))).toBe(true)
  })

  it('keeps overlapping resizes apart although they share scratch buffers', async () => {
    const jobs = [
      [image(900, 700), 1024, 796],
      [image(512, 512), 2048, 2048],
      [image(1200, 300), 600, 150]
    ] as const
    const results = await Promise.all(jobs.map(([source, w, h]) => pool.resize(source, w, h)))
    jobs.forEach(([source, w, h], i) => {
      expect(Buffer.from(results[i].data).equals(Buffer.from(resizeLanczos(source, w, h).data))).toBe(true)
    })
    // Results are the caller's own: a later resize must not write into them.
    const kept = Buffer.from(results[2].data)
    await pool.resize(image(1300, 410), 600, 150)
    expect(Buffer.from(results[2].data).equals(kept)).toBe(true)
  })

  it('resizes small images on the calling thread', async () => {
    const before = pool.parallelResizes
    const small = await pool.resize(image(40, 30), 64, 48)
    expect(pool.parallelResizes).toBe(before)
    expect(Buffer.from(small.data).equals(Buffer.from(resizeLanczos(image(40, 30), 64, 48).data))).toBe(true)
  })

  it('returns a copy when the size is unchanged', async () => {
    const source = image(600, 600)
    const same = await pool.resize(source, 600, 600)
    expect(same.data).not.toBe(source.data)
    expect(Buffer.from(same.data).equals(Buffer.from(source.data))).toBe(true)
  })
})

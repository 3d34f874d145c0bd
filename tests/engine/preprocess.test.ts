import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import type { PreprocessConfig } from '../../src/engine/model-files.ts'
import { longestEdgeSize, planImage, preprocessImage, tileMultipleSize } from '../../src/engine/preprocess.ts'
import { FIXTURES } from '../support/reference.ts'

interface SizeCase {
  input: [number, number]
  resized: [number, number]
  tile_multiple: [number, number] | null
  rows: number
  cols: number
  frames: number
}
const sizeMath: { configs: { name: string; longest_edge: number; tile: number; cases: SizeCase[] }[] } =
  JSON.parse(readFileSync(`${FIXTURES}reference/size-math.json`, 'utf8'))

const config = (longestEdge: number, tileSize: number): PreprocessConfig => ({
  longestEdge,
  tileSize,
  doImageSplitting: true,
  rescaleFactor: 1 / 255,
  imageMean: [0.5, 0.5, 0.5],
  imageStd: [0.5, 0.5, 0.5],
  resample: 1
})

describe.each(sizeMath.configs)(
  'size arithmetic of the Python processor, $name',
  ({ longest_edge, tile, cases }) => {
    it.each(cases.map((c) => [c.input.join('x'), c] as const))('%s', (_, c) => {
      const size = { width: c.input[0], height: c.input[1] }
      const resized = longestEdgeSize(size, longest_edge)
      expect([resized.width, resized.height]).toEqual(c.resized)
      if (c.tile_multiple) {
        const tiled = tileMultipleSize(resized, tile)
        expect([tiled.width, tiled.height]).toEqual(c.tile_multiple)
      }
      const plan = planImage(size, config(longest_edge, tile))
      expect(plan.grid).toEqual({ rows: c.rows, cols: c.cols })
      expect(plan.frames).toBe(c.frames)
    })
  }
)

describe('planImage', () => {
  it('uses one squared frame when splitting is off', () => {
    expect(
      planImage({ width: 1280, height: 640 }, config(2048, 512), { doImageSplitting: false })
    ).toMatchObject({
      grid: { rows: 0, cols: 0 },
      frames: 1
    })
  })

  it('takes fewer tiles with a smaller longest edge', () => {
    expect(planImage({ width: 1000, height: 1000 }, config(2048, 512), { longestEdge: 1024 }).frames).toBe(5)
  })
})

describe('preprocessImage', () => {
  it('normalises 0 to -1 and 255 to 1, channels first, global frame last', async () => {
    // A white 4x2 image with 2-px tiles: one row of two tiles plus the global frame.
    const image = { width: 4, height: 2, data: new Uint8Array(4 * 2 * 3).fill(255) }
    const out = await preprocessImage(image, config(4, 2))
    expect(out.grids).toEqual([{ rows: 1, cols: 2 }])
    expect(out.frames).toBe(3)
    expect(out.pixelValues.length).toBe(3 * 3 * 2 * 2)
    expect(Array.from(new Set(out.pixelValues))).toEqual([1])
    const black = await preprocessImage({ width: 2, height: 2, data: new Uint8Array(12) }, config(2, 2))
    expect(Array.from(new Set(black.pixelValues))).toEqual([-1])
  })
})

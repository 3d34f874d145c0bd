import { describe, expect, test } from 'vitest'
import { compositeOverWhite, toRgbOverWhite } from '../../../src/engine/image/alpha-composite.ts'
import { IDENTICAL, difference, index, readPng } from './resample-fixtures.ts'

function onePixel(r: number, g: number, b: number, a: number): number[] {
  return [...compositeOverWhite({ width: 1, height: 1, data: Uint8Array.of(r, g, b, a) }).data]
}

describe('compositeOverWhite', () => {
  test("equals Pillow's alpha_composite over opaque white, then convert('RGB'), for all 65,536 (value, alpha) pairs", async () => {
    const source = await readPng(index.composite.source)
    const expected = await readPng(index.composite.expected)
    const actual = compositeOverWhite({ width: source.width, height: source.height, data: source.data })
    expect(difference(actual.data, expected.data)).toEqual(IDENTICAL)
  })

  test('turns a fully transparent pixel white whatever its colour', () => {
    expect(onePixel(12, 200, 77, 0)).toEqual([255, 255, 255])
  })

  test('keeps the colour of a fully opaque pixel', () => {
    expect(onePixel(12, 200, 77, 255)).toEqual([12, 200, 77])
  })

  test("turns black at alpha 128 into 127, Pillow's fixed-point rounding (not 127.5 rounded to 128)", () => {
    expect(onePixel(0, 0, 0, 128)).toEqual([127, 127, 127])
  })

  test('rejects a raster whose byte length is not width x height x 4', () => {
    expect(() => compositeOverWhite({ width: 2, height: 1, data: new Uint8Array(6) })).toThrow(RangeError)
  })
})

describe('toRgbOverWhite', () => {
  test('passes an RGB image through without copying it', () => {
    const data = Uint8Array.of(1, 2, 3)
    expect(toRgbOverWhite({ width: 1, height: 1, channels: 3, data }).data).toBe(data)
  })

  test('composites an RGBA image over white', () => {
    const out = toRgbOverWhite({
      width: 2,
      height: 1,
      channels: 4,
      data: Uint8Array.of(9, 9, 9, 0, 9, 9, 9, 255)
    })
    expect(out).toEqual({ width: 2, height: 1, data: Uint8Array.of(255, 255, 255, 9, 9, 9) })
  })
})

import { createHash } from 'node:crypto'
import { describe, expect, test } from 'vitest'
import { resizeLanczos } from '../../../src/engine/image/lanczos-resize.ts'
import type { Rgb8Image } from '../../../src/engine/image/raster.ts'
import { IDENTICAL, difference, index, pattern, readPng } from './resample-fixtures.ts'
import type { ResizeVector } from './resample-fixtures.ts'

async function sourceOf(vector: ResizeVector): Promise<Rgb8Image> {
  const { file, pattern: size } = vector.source
  if (size) return pattern(size.width, size.height)
  const png = await readPng(file ?? '')
  return { width: png.width, height: png.height, data: png.data }
}

function rowsOf(image: Rgb8Image, rows: readonly number[]): Uint8Array {
  const stride = image.width * 3
  const out = new Uint8Array(rows.length * stride)
  rows.forEach((row, i) => out.set(image.data.subarray(row * stride, (row + 1) * stride), i * stride))
  return out
}

const small = index.resize.filter((v) => v.expected !== undefined)
const large = index.resize.filter((v) => v.sha256 !== undefined)

describe('resizeLanczos is byte-identical to Pillow Image.resize(LANCZOS)', () => {
  test.for(small.map((v) => [`${v.source.name} to ${v.width}x${v.height}`, v] as const))(
    '%s',
    async ([, vector]) => {
      const expected = await readPng(vector.expected ?? '')
      const actual = resizeLanczos(await sourceOf(vector), vector.width, vector.height)
      expect([actual.width, actual.height]).toEqual([vector.width, vector.height])
      expect(difference(actual.data, expected.data)).toEqual(IDENTICAL)
    }
  )

  test.for(large.map((v) => [`${v.source.name} to ${v.width}x${v.height}`, v] as const))(
    '%s',
    async ([, vector]) => {
      const actual = resizeLanczos(await sourceOf(vector), vector.width, vector.height)
      const probe = await readPng(vector.probe ?? '')
      expect(difference(rowsOf(actual, vector.probeRows ?? []), probe.data)).toEqual(IDENTICAL)
      expect(createHash('sha256').update(actual.data).digest('hex')).toBe(vector.sha256)
    }
  )
})

describe('resizeLanczos', () => {
  const image: Rgb8Image = { width: 2, height: 1, data: Uint8Array.of(10, 20, 30, 40, 50, 60) }

  test('returns an equal copy, not the same buffer, when the size is unchanged (as Pillow copies)', () => {
    const out = resizeLanczos(image, 2, 1)
    expect(out.data).toEqual(image.data)
    expect(out.data).not.toBe(image.data)
  })

  test('rejects a target size below 1 pixel', () => {
    expect(() => resizeLanczos(image, 0, 5)).toThrow(RangeError)
  })

  test('rejects a target size that is not a whole number', () => {
    expect(() => resizeLanczos(image, 2.5, 1)).toThrow(RangeError)
  })

  test('rejects a raster whose byte length does not match its size', () => {
    expect(() => resizeLanczos({ width: 3, height: 1, data: image.data }, 1, 1)).toThrow(RangeError)
  })

  test('widening a 2-pixel row to 3 overshoots past both inputs, exactly as Pillow does', () => {
    // Expected values printed by Pillow 12.3:
    // Image.frombytes('RGB', (2, 1), bytes([10, 20, 30, 40, 50, 60])).resize((3, 1), Image.LANCZOS).tobytes()
    // The kernel's negative lobes, renormalised over the pixels that exist at the border, extrapolate the ramp.
    expect([...resizeLanczos(image, 3, 1).data]).toEqual([6, 16, 26, 25, 35, 45, 44, 54, 64])
  })
})

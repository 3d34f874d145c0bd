/** Reading the Pillow reference vectors written by scripts/fixtures/make_resample_vectors.py. */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import sharp from 'sharp'
import type { Rgb8Image } from '../../../src/engine/image/raster.ts'

export const FIXTURES = fileURLToPath(new URL('../../fixtures/resample/', import.meta.url))

export interface ResizeVector {
  readonly source: {
    readonly name: string
    readonly file?: string
    readonly pattern?: { width: number; height: number }
  }
  readonly width: number
  readonly height: number
  /** Small outputs: Pillow's result as a PNG. */
  readonly expected?: string
  /** Large outputs: SHA-256 of Pillow's raw RGB bytes, and a PNG of the rows listed in probeRows. */
  readonly sha256?: string
  readonly probeRows?: readonly number[]
  readonly probe?: string
}

export interface DecodeVector {
  readonly file: string
  readonly expected: string
  readonly format: string
  readonly hasAlpha?: boolean
  readonly orientation?: number
}

export interface FixtureIndex {
  readonly resize: readonly ResizeVector[]
  readonly composite: { readonly source: string; readonly expected: string }
  readonly decode: readonly DecodeVector[]
}

export const index = JSON.parse(readFileSync(FIXTURES + 'index.json', 'utf8')) as FixtureIndex

export interface Raster {
  readonly width: number
  readonly height: number
  readonly channels: number
  readonly data: Uint8Array
}

/** Reads a fixture PNG's stored bytes (RGB or RGBA, 8-bit; the fixtures carry no colour profile). */
export async function readPng(file: string): Promise<Raster> {
  const { data, info } = await sharp(FIXTURES + file)
    .raw()
    .toUint8Array()
  return { width: info.width, height: info.height, channels: info.channels, data }
}

/** The procedural source of the large vectors (same formula as the generator's `pattern`). */
export function pattern(width: number, height: number): Rgb8Image {
  const data = new Uint8Array(width * height * 3)
  let i = 0
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) {
        data[i++] = ((x * 37 + y * 91 + c * 53) ^ ((x * y) >> 4) ^ (((x >> 5) + (y >> 5)) * 97)) & 255
      }
    }
  }
  return { width, height, data }
}

/** How far two byte arrays are apart: the largest absolute difference and how many bytes differ. */
export function difference(
  actual: Uint8Array,
  expected: Uint8Array
): { maxAbsDiff: number; differingBytes: number } {
  if (actual.length !== expected.length)
    return { maxAbsDiff: Infinity, differingBytes: Math.abs(actual.length - expected.length) }
  let maxAbsDiff = 0
  let differingBytes = 0
  for (let i = 0; i < actual.length; i++) {
    const d = Math.abs(actual[i] - expected[i])
    if (d > 0) differingBytes++
    if (d > maxAbsDiff) maxAbsDiff = d
  }
  return { maxAbsDiff, differingBytes }
}

export const IDENTICAL = { maxAbsDiff: 0, differingBytes: 0 }

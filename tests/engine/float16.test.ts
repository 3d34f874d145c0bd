import { describe, expect, it } from 'vitest'
import { fromFloat16Bits, toFloat16Bits } from '../../src/engine/float16.ts'

describe('float16 conversion', () => {
  it('encodes known values exactly', () => {
    expect(toFloat16Bits(1)).toBe(0x3c00)
    expect(toFloat16Bits(-2)).toBe(0xc000)
    expect(toFloat16Bits(65504)).toBe(0x7bff)
    expect(toFloat16Bits(1e6)).toBe(0x7c00)
    expect(toFloat16Bits(2 ** -24)).toBe(0x0001)
  })

  it('rounds half to even', () => {
    // 1 + 2^-11 lies halfway between 1 and the next half-precision value: ties go to the even mantissa (1).
    expect(toFloat16Bits(1 + 2 ** -11)).toBe(0x3c00)
    expect(toFloat16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02)
  })

  it('round-trips every finite half-precision value', () => {
    for (let bits = 0; bits < 0x7c00; bits++) {
      expect(toFloat16Bits(fromFloat16Bits(bits))).toBe(bits)
    }
  })
})

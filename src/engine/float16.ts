/**
 * IEEE half-precision conversions. onnxruntime-node takes and returns float16 tensors as Uint16Array bit
 * patterns, and Node 20 has no Float16Array.
 */

const floatView = new Float32Array(1)
const intView = new Uint32Array(floatView.buffer)

/** float32 → float16 bits, round to nearest even (what numpy's astype(float16) does). */
export function toFloat16Bits(value: number): number {
  floatView[0] = value
  const x = intView[0]
  const sign = (x >>> 16) & 0x8000
  const exponent = (x >>> 23) & 0xff
  let mantissa = x & 0x7fffff
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0)
  const e = exponent - 127 + 15
  if (e >= 0x1f) return sign | 0x7c00
  if (e <= 0) {
    if (e < -10) return sign
    mantissa |= 0x800000
    const shift = 14 - e
    const half = 1 << (shift - 1)
    const rest = mantissa & ((1 << shift) - 1)
    let result = mantissa >>> shift
    if (rest > half || (rest === half && (result & 1) !== 0)) result++
    return sign | result
  }
  const rest = mantissa & 0x1fff
  let result = (e << 10) | (mantissa >>> 13)
  if (rest > 0x1000 || (rest === 0x1000 && (result & 1) !== 0)) result++
  return sign | result
}

const HALF_TO_FLOAT = (() => {
  const table = new Float32Array(65536)
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1
    const exponent = (h >>> 10) & 0x1f
    const mantissa = h & 0x3ff
    if (exponent === 0) table[h] = sign * mantissa * 2 ** -24
    else if (exponent === 0x1f) table[h] = mantissa ? NaN : sign * Infinity
    else table[h] = sign * (1 + mantissa / 1024) * 2 ** (exponent - 15)
  }
  return table
})()

export function fromFloat16Bits(bits: number): number {
  return HALF_TO_FLOAT[bits & 0xffff]
}

export function float32ToFloat16Array(values: Float32Array): Uint16Array {
  const out = new Uint16Array(values.length)
  for (let i = 0; i < values.length; i++) out[i] = toFloat16Bits(values[i])
  return out
}

export function float16ToFloat32Array(bits: Uint16Array, start = 0, end = bits.length): Float32Array {
  const out = new Float32Array(end - start)
  for (let i = start; i < end; i++) out[i - start] = HALF_TO_FLOAT[bits[i]]
  return out
}

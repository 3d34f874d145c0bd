/**
 * Just enough of protobuf's wire format to read and re-emit an ONNX model's graph structure (node names, inputs,
 * outputs) without decoding its weights. Field numbers are onnx.proto's.
 */

export const WIRE_VARINT = 0
export const WIRE_LENGTH_DELIMITED = 2

export interface Field {
  readonly number: number
  readonly wireType: number
  /** The whole field (key + value) in the source buffer. */
  readonly start: number
  readonly end: number
  /** For length-delimited fields, the payload; for varints, the value. */
  readonly valueStart: number
  readonly value: number
}

export function readVarint(bytes: Uint8Array, offset: number): [value: number, next: number] {
  let value = 0
  let scale = 1
  for (let i = offset; i < bytes.length; i++) {
    const byte = bytes[i]
    value += (byte & 0x7f) * scale
    if ((byte & 0x80) === 0) return [value, i + 1]
    scale *= 128
  }
  throw new Error('truncated varint')
}

/** The fields of one message occupying bytes [start, end). */
export function readFields(bytes: Uint8Array, start = 0, end = bytes.length): Field[] {
  const fields: Field[] = []
  let offset = start
  while (offset < end) {
    const [key, afterKey] = readVarint(bytes, offset)
    const number = Math.floor(key / 8)
    const wireType = key & 7
    let next: number
    let value: number
    let valueStart = afterKey
    if (wireType === WIRE_VARINT) {
      ;[value, next] = readVarint(bytes, afterKey)
    } else if (wireType === WIRE_LENGTH_DELIMITED) {
      const [length, afterLength] = readVarint(bytes, afterKey)
      valueStart = afterLength
      value = length
      next = afterLength + length
    } else if (wireType === 1) {
      value = 0
      next = afterKey + 8
    } else if (wireType === 5) {
      value = 0
      next = afterKey + 4
    } else {
      throw new Error(`unsupported wire type ${wireType}`)
    }
    if (next > end) throw new Error('field runs past its message')
    fields.push({ number, wireType, start: offset, end: next, valueStart, value })
    offset = next
  }
  return fields
}

const decoder = new TextDecoder()
const encoder = new TextEncoder()

export function fieldString(bytes: Uint8Array, field: Field): string {
  return decoder.decode(bytes.subarray(field.valueStart, field.valueStart + field.value))
}

export function encodeVarint(value: number): number[] {
  const out: number[] = []
  let rest = value
  while (rest >= 0x80) {
    out.push((rest % 128) | 0x80)
    rest = Math.floor(rest / 128)
  }
  out.push(rest)
  return out
}

/** A length-delimited field: key, length, payload. */
export function encodeBytesField(number: number, payload: Uint8Array): Uint8Array {
  const header = [...encodeVarint(number * 8 + WIRE_LENGTH_DELIMITED), ...encodeVarint(payload.length)]
  const out = new Uint8Array(header.length + payload.length)
  out.set(header)
  out.set(payload, header.length)
  return out
}

export function encodeStringField(number: number, text: string): Uint8Array {
  return encodeBytesField(number, encoder.encode(text))
}

export function encodeVarintField(number: number, value: number): Uint8Array {
  return Uint8Array.from([...encodeVarint(number * 8 + WIRE_VARINT), ...encodeVarint(value)])
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0))
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.length
  }
  return out
}

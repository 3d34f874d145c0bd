import { open } from 'node:fs/promises'
import type { FileHandle } from 'node:fs/promises'
import { basename } from 'node:path'
import {
  concatBytes,
  encodeBytesField,
  encodeStringField,
  encodeVarint,
  encodeVarintField,
  readVarint,
  WIRE_LENGTH_DELIMITED,
  WIRE_VARINT
} from './onnx-proto.ts'

/**
 * An ONNX model's structure without its weights: every large initializer becomes an external-data reference to its
 * own bytes inside the original file (location = the file's name, offset, length), which onnxruntime reads itself
 * when the skeleton is loaded with `session.model_external_initializers_file_folder_path` = the file's folder. So the
 * graph can be edited (decoder-rewrite.ts) after reading a few hundred kilobytes instead of the whole file, and the
 * weights never pass through JavaScript memory.
 */

// onnx.proto field numbers.
const MODEL_GRAPH = 7
const GRAPH_INITIALIZER = 5
const TENSOR_RAW_DATA = 9
const TENSOR_EXTERNAL_DATA = 13
const TENSOR_DATA_LOCATION = 14
const TENSOR_LOCATION_EXTERNAL = 1
const ENTRY_KEY = 1
const ENTRY_VALUE = 2

/** Initializers whose raw bytes are at least this long are referenced, not copied. */
const EXTERNAL_MIN_BYTES = 4096
/** Reads are at least this long: the structure is many small fields, and large payloads are skipped, not read. */
const WINDOW = 64 * 1024

/** Positional reads through a small window. */
class Reader {
  private window = new Uint8Array(0)
  private windowStart = 0

  constructor(
    private readonly handle: FileHandle,
    readonly size: number
  ) {}

  async bytes(position: number, length: number): Promise<Uint8Array> {
    if (position < 0 || position + length > this.size) throw new Error('field runs past the end of the file')
    const end = position + length
    if (position < this.windowStart || end > this.windowStart + this.window.length) {
      const size = Math.min(Math.max(length, WINDOW), this.size - position)
      const buffer = new Uint8Array(size)
      let done = 0
      while (done < size) {
        const { bytesRead } = await this.handle.read(buffer, done, size - done, position + done)
        if (bytesRead === 0) throw new Error('the file ended early')
        done += bytesRead
      }
      this.window = buffer
      this.windowStart = position
    }
    return this.window.subarray(position - this.windowStart, end - this.windowStart)
  }

  /** A field's key and, for length-delimited fields, its length: [number, wire type, value, header length]. */
  async header(position: number): Promise<[number, number, number, number]> {
    const head = await this.bytes(position, Math.min(20, this.size - position))
    const [key, afterKey] = readVarint(head, 0)
    const wireType = key & 7
    let value = 0
    let offset = afterKey
    if (wireType === WIRE_VARINT || wireType === WIRE_LENGTH_DELIMITED)
      [value, offset] = readVarint(head, afterKey)
    return [Math.floor(key / 8), wireType, value, offset]
  }
}

/** The byte length of a field whose header was read. */
function fieldLength(wireType: number, value: number, headerLength: number): number {
  if (wireType === WIRE_LENGTH_DELIMITED) return headerLength + value
  if (wireType === WIRE_VARINT) return headerLength
  if (wireType === 1) return headerLength + 8
  if (wireType === 5) return headerLength + 4
  throw new Error(`unsupported wire type ${wireType}`)
}

function externalEntry(key: string, value: string): Uint8Array {
  return encodeBytesField(
    TENSOR_EXTERNAL_DATA,
    concatBytes([encodeStringField(ENTRY_KEY, key), encodeStringField(ENTRY_VALUE, value)])
  )
}

export interface ModelSkeleton {
  readonly bytes: Uint8Array
  /** How many initializers, and how many of their bytes, now point into the file. */
  readonly externalTensors: number
  readonly externalBytes: number
}

/** One initializer (TensorProto) at [start, end): copied, or its raw_data replaced by a reference to the file. */
async function initializer(
  reader: Reader,
  start: number,
  end: number,
  location: string,
  counts: { tensors: number; bytes: number }
): Promise<Uint8Array> {
  const parts: Uint8Array[] = []
  let raw: { offset: number; length: number } | undefined
  for (let position = start; position < end;) {
    const [number, wireType, value, headerLength] = await reader.header(position)
    const length = fieldLength(wireType, value, headerLength)
    if (position + length > end) throw new Error('field runs past its tensor')
    // Already external: kept as it is (its location is relative to the same folder).
    if (
      number === TENSOR_EXTERNAL_DATA ||
      (number === TENSOR_DATA_LOCATION && value === TENSOR_LOCATION_EXTERNAL)
    )
      return reader.bytes(start, end - start)
    if (number === TENSOR_RAW_DATA && wireType === WIRE_LENGTH_DELIMITED && value >= EXTERNAL_MIN_BYTES) {
      raw = { offset: position + headerLength, length: value }
    } else {
      parts.push((await reader.bytes(position, length)).slice())
    }
    position += length
  }
  if (!raw) return concatBytes(parts)
  counts.tensors++
  counts.bytes += raw.length
  parts.push(
    externalEntry('location', location),
    externalEntry('offset', String(raw.offset)),
    externalEntry('length', String(raw.length)),
    encodeVarintField(TENSOR_DATA_LOCATION, TENSOR_LOCATION_EXTERNAL)
  )
  return concatBytes(parts)
}

/** The skeleton of the model file at `path` (initializers already in external files keep their references). */
export async function readModelSkeleton(path: string): Promise<ModelSkeleton> {
  const handle = await open(path, 'r')
  try {
    const reader = new Reader(handle, (await handle.stat()).size)
    const location = basename(path)
    const counts = { tensors: 0, bytes: 0 }
    const parts: Uint8Array[] = []
    for (let position = 0; position < reader.size;) {
      const [number, wireType, value, headerLength] = await reader.header(position)
      const length = fieldLength(wireType, value, headerLength)
      if (position + length > reader.size) throw new Error('the model file is truncated')
      if (number !== MODEL_GRAPH || wireType !== WIRE_LENGTH_DELIMITED) {
        parts.push((await reader.bytes(position, length)).slice())
        position += length
        continue
      }
      const graphParts: Uint8Array[] = []
      const graphEnd = position + length
      for (let field = position + headerLength; field < graphEnd;) {
        const [n, w, v, h] = await reader.header(field)
        const fieldEnd = field + fieldLength(w, v, h)
        if (fieldEnd > graphEnd) throw new Error('field runs past its graph')
        if (n === GRAPH_INITIALIZER && w === WIRE_LENGTH_DELIMITED && v >= EXTERNAL_MIN_BYTES) {
          const tensor = await initializer(reader, field + h, fieldEnd, location, counts)
          graphParts.push(encodeBytesField(GRAPH_INITIALIZER, tensor))
        } else {
          graphParts.push((await reader.bytes(field, fieldEnd - field)).slice())
        }
        field = fieldEnd
      }
      const graph = concatBytes(graphParts)
      parts.push(Uint8Array.from(encodeVarint(MODEL_GRAPH * 8 + WIRE_LENGTH_DELIMITED)))
      parts.push(Uint8Array.from(encodeVarint(graph.length)), graph)
      position = graphEnd
    }
    return { bytes: concatBytes(parts), externalTensors: counts.tensors, externalBytes: counts.bytes }
  } finally {
    await handle.close()
  }
}

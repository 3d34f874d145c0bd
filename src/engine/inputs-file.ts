import { writeFile } from 'node:fs/promises'
import { SmolvlmError } from './errors.ts'
import { readRegularText } from './read-file.ts'
import type { ModelInputs } from './generate.ts'

/**
 * The model-inputs file (design.md, "The command line"): input_ids, and pixel tensors as base64 of their raw
 * little-endian bytes. Used to feed the engine exactly the reference's inputs, and to dump ours for comparison.
 */
interface TensorJson {
  readonly dims: readonly number[]
  readonly data: string
}

interface InputsJson {
  readonly input_ids: readonly number[]
  readonly pixel_values?: TensorJson
  readonly pixel_attention_mask?: TensorJson
}

function isTensorJson(value: unknown): value is TensorJson {
  const v = value as TensorJson
  return (
    typeof value === 'object' &&
    value !== null &&
    Array.isArray(v.dims) &&
    v.dims.every((d) => Number.isInteger(d) && d >= 0) &&
    typeof v.data === 'string'
  )
}

function product(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1)
}

export function parseInputs(json: unknown, source = 'inputs file'): ModelInputs {
  const value = json as InputsJson
  if (
    typeof json !== 'object' ||
    json === null ||
    !Array.isArray(value.input_ids) ||
    !value.input_ids.every((id) => Number.isInteger(id) && id >= 0)
  ) {
    throw new SmolvlmError('bad-request', `${source} has no valid "input_ids" array.`)
  }
  if (value.pixel_values === undefined) return { inputIds: value.input_ids }
  if (!isTensorJson(value.pixel_values) || value.pixel_values.dims.length !== 5) {
    throw new SmolvlmError('bad-request', `${source}: "pixel_values" must have 5 dims and base64 data.`)
  }
  const pixelBytes = Buffer.from(value.pixel_values.data, 'base64')
  if (pixelBytes.length !== product(value.pixel_values.dims) * 4) {
    throw new SmolvlmError('bad-request', `${source}: "pixel_values" data does not match its dims.`)
  }
  // Copy into an aligned buffer: Buffer.from(base64) may start at an offset that is not a multiple of 4.
  const pixels = new Float32Array(product(value.pixel_values.dims))
  new Uint8Array(pixels.buffer).set(pixelBytes)
  const maskDims = value.pixel_values.dims.filter((_, i) => i !== 2)
  let mask = new Uint8Array(product(maskDims)).fill(1)
  if (value.pixel_attention_mask !== undefined) {
    if (!isTensorJson(value.pixel_attention_mask)) {
      throw new SmolvlmError('bad-request', `${source}: "pixel_attention_mask" is malformed.`)
    }
    mask = new Uint8Array(Buffer.from(value.pixel_attention_mask.data, 'base64'))
    if (mask.length !== product(maskDims)) {
      throw new SmolvlmError('bad-request', `${source}: "pixel_attention_mask" does not match pixel_values.`)
    }
  }
  return {
    inputIds: value.input_ids,
    pixelValues: { data: pixels, dims: value.pixel_values.dims },
    pixelAttentionMask: { data: mask, dims: maskDims }
  }
}

export async function readInputsFile(path: string): Promise<ModelInputs> {
  // Only a regular file, bounded (pixel values of many tiles in base64: 1 GB is far above a real dump).
  const text = await readRegularText(path, { maxBytes: 1024 ** 3, code: 'bad-request', label: path })
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (cause) {
    throw new SmolvlmError('bad-request', `${path} is not a readable JSON inputs file.`, { cause })
  }
  return parseInputs(json, path)
}

export function serializeInputs(inputs: ModelInputs): InputsJson {
  const base64 = (array: ArrayBufferView) =>
    Buffer.from(array.buffer, array.byteOffset, array.byteLength).toString('base64')
  if (!inputs.pixelValues) return { input_ids: [...inputs.inputIds] }
  return {
    input_ids: [...inputs.inputIds],
    pixel_values: { dims: inputs.pixelValues.dims, data: base64(inputs.pixelValues.data) },
    ...(inputs.pixelAttentionMask && {
      pixel_attention_mask: {
        dims: inputs.pixelAttentionMask.dims,
        data: base64(inputs.pixelAttentionMask.data)
      }
    })
  }
}

export async function writeInputsFile(path: string, inputs: ModelInputs): Promise<void> {
  await writeFile(path, JSON.stringify(serializeInputs(inputs)))
}

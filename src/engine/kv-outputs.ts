import {
  concatBytes,
  encodeBytesField,
  encodeStringField,
  encodeVarint,
  encodeVarintField,
  fieldString,
  readFields,
  WIRE_LENGTH_DELIMITED
} from './onnx-proto.ts'
import type { Field } from './onnx-proto.ts'

/**
 * The decoder returns the whole cache (`present.*` = past + this step) on every step, and onnxruntime-node copies
 * every output into a fresh JavaScript ArrayBuffer: at 1,141 tokens of context that is ~53 MB allocated and copied
 * per token for SmolVLM-256M, measured as ~19 ms of a 63 ms step. Where a `present.N.*` output is a plain
 * Concat(past_key_values.N.*, new) along the sequence axis, this rewrite makes the graph output `new` instead
 * (the step's own keys/values, a few KB); the engine appends them to a cache it keeps. The arithmetic inside the
 * graph is untouched, so the results are identical.
 */

// onnx.proto field numbers.
const MODEL_GRAPH = 7
const GRAPH_NODE = 1
const GRAPH_OUTPUT = 12
const NODE_INPUT = 1
const NODE_OUTPUT = 2
const NODE_OP_TYPE = 4
const NODE_ATTRIBUTE = 5
const NODE_DOMAIN = 7
const ATTRIBUTE_NAME = 1
const ATTRIBUTE_INT = 3
const VALUE_INFO_NAME = 1
const VALUE_INFO_TYPE = 2
const TYPE_TENSOR = 1
const TENSOR_ELEM_TYPE = 1

export interface KvOutputRewrite {
  readonly bytes: Uint8Array
  /** The rewritten graph's output name → the past_key_values.* input it extends. */
  readonly newKvOutputs: ReadonlyMap<string, string>
}

function fieldsNumbered(bytes: Uint8Array, message: Field, number: number): Field[] {
  return readFields(bytes, message.valueStart, message.valueStart + message.value).filter((f) => f.number === number)
}

function stringsOf(bytes: Uint8Array, message: Field, number: number): string[] {
  return fieldsNumbered(bytes, message, number).map((f) => fieldString(bytes, f))
}

/** Concat's axis attribute (sign-extended from its varint). */
function concatAxis(bytes: Uint8Array, node: Field): number | undefined {
  for (const attribute of fieldsNumbered(bytes, node, NODE_ATTRIBUTE)) {
    const fields = readFields(bytes, attribute.valueStart, attribute.valueStart + attribute.value)
    const name = fields.find((f) => f.number === ATTRIBUTE_NAME)
    const value = fields.find((f) => f.number === ATTRIBUTE_INT)
    if (name && fieldString(bytes, name) === 'axis' && value) {
      return value.value >= 2 ** 63 ? value.value - 2 ** 64 : value.value
    }
  }
  return undefined
}

/** The element type of a ValueInfoProto's tensor type, to re-declare the output without its (now wrong) shape. */
function elementType(bytes: Uint8Array, valueInfo: Field): number | undefined {
  const type = fieldsNumbered(bytes, valueInfo, VALUE_INFO_TYPE)[0]
  const tensor = type && fieldsNumbered(bytes, type, TYPE_TENSOR)[0]
  return tensor && fieldsNumbered(bytes, tensor, TENSOR_ELEM_TYPE)[0]?.value
}

/** Returns the rewritten model, or undefined when the graph does not have the plain Concat shape for every layer. */
export function rewriteKvOutputs(model: Uint8Array): KvOutputRewrite | undefined {
  const modelFields = readFields(model)
  const graph = modelFields.find((f) => f.number === MODEL_GRAPH && f.wireType === WIRE_LENGTH_DELIMITED)
  if (!graph) return undefined
  const graphFields = readFields(model, graph.valueStart, graph.valueStart + graph.value)

  // present.* output name → the name of the step's own keys/values feeding its Concat.
  const replacement = new Map<string, string>()
  for (const node of graphFields) {
    if (node.number !== GRAPH_NODE) continue
    const nodeFields = readFields(model, node.valueStart, node.valueStart + node.value)
    const opType = nodeFields.find((f) => f.number === NODE_OP_TYPE)
    const domain = nodeFields.find((f) => f.number === NODE_DOMAIN)
    if (!opType || fieldString(model, opType) !== 'Concat' || (domain && fieldString(model, domain) !== '')) continue
    const outputs = stringsOf(model, node, NODE_OUTPUT)
    const inputs = stringsOf(model, node, NODE_INPUT)
    const present = /^present\.(\d+)\.(key|value)$/.exec(outputs[0] ?? '')
    if (!present || inputs.length !== 2 || inputs[0] !== `past_key_values.${present[1]}.${present[2]}`) continue
    const axis = concatAxis(model, node)
    if (axis !== 2 && axis !== -2) continue
    replacement.set(outputs[0], inputs[1])
  }

  const outputs = graphFields.filter((f) => f.number === GRAPH_OUTPUT)
  const presentOutputs = outputs.filter((f) => /^present\./.test(stringsOf(model, f, VALUE_INFO_NAME)[0] ?? ''))
  if (presentOutputs.length === 0 || presentOutputs.some((f) => !replacement.has(stringsOf(model, f, VALUE_INFO_NAME)[0]))) {
    return undefined
  }

  const newKvOutputs = new Map<string, string>()
  const graphParts: Uint8Array[] = []
  for (const field of graphFields) {
    const name = field.number === GRAPH_OUTPUT ? stringsOf(model, field, VALUE_INFO_NAME)[0] : undefined
    const newName = name === undefined ? undefined : replacement.get(name)
    if (name === undefined || newName === undefined) {
      graphParts.push(model.subarray(field.start, field.end))
      continue
    }
    const elem = elementType(model, field)
    if (elem === undefined) return undefined
    const tensorType = encodeBytesField(TYPE_TENSOR, encodeVarintField(TENSOR_ELEM_TYPE, elem))
    const valueInfo = concatBytes([encodeStringField(VALUE_INFO_NAME, newName), encodeBytesField(VALUE_INFO_TYPE, tensorType)])
    graphParts.push(encodeBytesField(GRAPH_OUTPUT, valueInfo))
    newKvOutputs.set(newName, name.replace(/^present\./, 'past_key_values.'))
  }

  const graphLength = graphParts.reduce((sum, part) => sum + part.length, 0)
  const graphHeader = Uint8Array.from([
    ...encodeVarint(MODEL_GRAPH * 8 + WIRE_LENGTH_DELIMITED),
    ...encodeVarint(graphLength)
  ])
  const parts: Uint8Array[] = []
  for (const field of modelFields) {
    if (field === graph) parts.push(graphHeader, ...graphParts)
    else parts.push(model.subarray(field.start, field.end))
  }
  return { bytes: concatBytes(parts), newKvOutputs }
}

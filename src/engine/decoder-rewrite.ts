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
 * Load-time edits of the decoder graph that change what it returns, never what it computes:
 *
 * 1. Each step's own keys/values as outputs. The shipped decoder returns the whole cache (`present.*` = past + this
 *    step) every step, and onnxruntime-node copies every output into a fresh JavaScript ArrayBuffer: at 1,141 tokens
 *    of context that is ~53 MB allocated and copied per token for SmolVLM-256M. Two graph shapes allow it:
 *    - a torch trace, where `present.N.*` is a plain Concat(past_key_values.N.*, new) along the sequence axis: the
 *      graph outputs `new` ([batch, heads, positions, dim]) instead;
 *    - the official files (the onnxruntime-genai builder's graph), where com.microsoft GroupQueryAttention reads
 *      `past_key_values.N.*` and writes `present.N.*` itself: the graph outputs the attention's key and value inputs
 *      ([batch, positions, heads × dim], rotated already). The engine then feeds a past buffer sized for the whole
 *      generation, whose valid length the operator reads from the attention mask, and writes the new rows into it.
 *    Either way the engine keeps the cache (kv-cache.ts).
 * 2. Logits of the last position only. Generation needs one row of logits, but the prefill computes (and copies out)
 *    all of them: 1,141 × 49,280 floats = 225 MB, and ~20% of the prefill's arithmetic. A Slice of the last position
 *    is inserted before the language-model head.
 * 3. (Read, not edited.) Where GroupQueryAttention owns the cache but its key and value are not separate tensors (the
 *    builder's CPU style: one packed QKV input, rotary inside the operator), the cache can still be one buffer given as
 *    both past and pre-allocated present: the operator appends in place when it sees the same pointer. onnxruntime-node
 *    still copies that output back per step, so edit 1 is preferred where it applies.
 *
 * Only the graph structure is touched (a minimal protobuf edit); weights are copied through byte for byte.
 */

// onnx.proto field numbers.
const MODEL_OPSET_IMPORT = 8
const MODEL_GRAPH = 7
const OPSET_DOMAIN = 1
const OPSET_VERSION = 2
const GRAPH_NODE = 1
const GRAPH_OUTPUT = 12
const NODE_INPUT = 1
const NODE_OUTPUT = 2
const NODE_NAME = 3
const NODE_OP_TYPE = 4
const NODE_ATTRIBUTE = 5
const NODE_DOMAIN = 7
const ATTRIBUTE_NAME = 1
const ATTRIBUTE_INT = 3
const ATTRIBUTE_TENSOR = 5
const ATTRIBUTE_TYPE = 20
const ATTRIBUTE_TYPE_TENSOR = 4
const TENSOR_DIMS = 1
const TENSOR_DATA_TYPE = 2
const TENSOR_RAW_DATA = 9
const TENSOR_INT64 = 7
const VALUE_INFO_NAME = 1
const VALUE_INFO_TYPE = 2
const TYPE_TENSOR = 1
const TENSOR_ELEM_TYPE = 1

export interface DecoderRewrite {
  readonly bytes: Uint8Array
  /** Set when edit 1 applied: the rewritten graph's output name → the past_key_values.* input it extends. */
  readonly newKvOutputs?: ReadonlyMap<string, string>
  /**
   * The layout of those outputs: 'heads' [batch, heads, positions, dim] (the trace's Concat input), 'positions'
   * [batch, positions, heads × dim] (GroupQueryAttention's key/value inputs; the past is then fed at full capacity).
   */
  readonly newKvLayout?: 'heads' | 'positions'
  /** Whether edit 2 applied: `logits` is [batch, 1, vocab]. */
  readonly lastPositionLogits: boolean
  /** Fact 3: the cache can be one buffer shared by past_key_values.* and present.* (when edit 1 did not apply). */
  readonly sharedBufferKv: boolean
}

interface NodeInfo {
  readonly field: Field
  readonly opType: string
  readonly domain: string
  readonly inputs: string[]
  readonly outputs: string[]
}

function subFields(bytes: Uint8Array, message: Field): Field[] {
  return readFields(bytes, message.valueStart, message.valueStart + message.value)
}

function stringsOf(bytes: Uint8Array, message: Field, number: number): string[] {
  return subFields(bytes, message)
    .filter((f) => f.number === number)
    .map((f) => fieldString(bytes, f))
}

function nodeInfo(bytes: Uint8Array, field: Field): NodeInfo {
  const fields = subFields(bytes, field)
  const text = (number: number) => {
    const found = fields.find((f) => f.number === number)
    return found ? fieldString(bytes, found) : ''
  }
  return {
    field,
    opType: text(NODE_OP_TYPE),
    domain: text(NODE_DOMAIN),
    inputs: stringsOf(bytes, field, NODE_INPUT),
    outputs: stringsOf(bytes, field, NODE_OUTPUT)
  }
}

/** An int attribute of a node, as the signed int64 its varint holds (negative axes are ten-byte varints). */
function intAttribute(bytes: Uint8Array, node: Field, attributeName: string): number | undefined {
  for (const attribute of subFields(bytes, node).filter((f) => f.number === NODE_ATTRIBUTE)) {
    const fields = subFields(bytes, attribute)
    const name = fields.find((f) => f.number === ATTRIBUTE_NAME)
    const value = fields.find((f) => f.number === ATTRIBUTE_INT)
    if (name && fieldString(bytes, name) === attributeName && value) {
      // Decoded again from its bytes with BigInt: the float sum of a ten-byte varint has lost its low bits.
      let raw = 0n
      let shift = 0n
      for (let i = value.valueStart; i < value.end; i++) {
        raw |= BigInt(bytes[i] & 0x7f) << shift
        shift += 7n
      }
      return Number(BigInt.asIntN(64, raw))
    }
  }
  return undefined
}

/** A graph output declared with its element type only (its shape no longer holds after the edit). */
function shapelessOutput(bytes: Uint8Array, valueInfo: Field, name: string): Uint8Array | undefined {
  const type = subFields(bytes, valueInfo).find((f) => f.number === VALUE_INFO_TYPE)
  const tensor = type && subFields(bytes, type).find((f) => f.number === TYPE_TENSOR)
  const elem = tensor && subFields(bytes, tensor).find((f) => f.number === TENSOR_ELEM_TYPE)?.value
  if (elem === undefined) return undefined
  const tensorType = encodeBytesField(TYPE_TENSOR, encodeVarintField(TENSOR_ELEM_TYPE, elem))
  return encodeBytesField(
    GRAPH_OUTPUT,
    concatBytes([encodeStringField(VALUE_INFO_NAME, name), encodeBytesField(VALUE_INFO_TYPE, tensorType)])
  )
}

/** present.* output → the step's own keys/values feeding its Concat, when every present output has that shape. */
function kvReplacements(bytes: Uint8Array, nodes: readonly NodeInfo[], outputNames: readonly string[]) {
  const replacement = new Map<string, string>()
  for (const node of nodes) {
    if (node.opType !== 'Concat' || node.domain !== '') continue
    const present = /^present\.(\d+)\.(key|value)$/.exec(node.outputs[0] ?? '')
    if (
      !present ||
      node.inputs.length !== 2 ||
      node.inputs[0] !== `past_key_values.${present[1]}.${present[2]}`
    )
      continue
    const axis = intAttribute(bytes, node.field, 'axis')
    if (axis === 2 || axis === -2) replacement.set(node.outputs[0], node.inputs[1])
  }
  const presents = outputNames.filter((name) => name.startsWith('present.'))
  return presents.length > 0 && presents.every((name) => replacement.has(name)) ? replacement : undefined
}

/**
 * present.* output → the GroupQueryAttention node input it comes from (1 key, 2 value; "" when packed), for every
 * present output that the operator writes from the matching past input (its inputs 3, 4; outputs 1, 2); "" too when
 * the operator rotates the keys itself (do_rotary).
 */
function attentionCacheInputs(
  bytes: Uint8Array,
  nodes: readonly NodeInfo[],
  outputNames: readonly string[]
): ReadonlyMap<string, string> | undefined {
  const owned = new Map<string, string>()
  for (const node of nodes) {
    if (node.opType !== 'GroupQueryAttention' || node.domain !== 'com.microsoft') continue
    // With the rotary inside the operator its key input is not rotated yet: no use as the cache's rows.
    const rotatesInside = (intAttribute(bytes, node.field, 'do_rotary') ?? 0) !== 0
    for (const [slot, kind] of [
      [1, 'key'],
      [2, 'value']
    ] as const) {
      const present = /^present\.(\d+)\.(key|value)$/.exec(node.outputs[slot] ?? '')
      if (present && present[2] === kind && node.inputs[slot + 2] === `past_key_values.${present[1]}.${kind}`)
        owned.set(node.outputs[slot], rotatesInside ? '' : (node.inputs[slot] ?? ''))
    }
  }
  const presents = outputNames.filter((name) => name.startsWith('present.'))
  return presents.length > 0 && presents.every((name) => owned.has(name)) ? owned : undefined
}

const PASS_THROUGH = new Set(['Cast', 'Identity'])
const HEAD_OPS = new Set([
  'MatMul',
  'MatMulNBits',
  'MatMulBnb4',
  'FusedMatMul',
  'MatMulInteger',
  'DynamicQuantizeMatMul'
])

/** The node computing the logits from the final hidden states (through casts), if it is a plain matrix product. */
function languageModelHead(nodes: readonly NodeInfo[]): NodeInfo | undefined {
  const producer = new Map<string, NodeInfo>()
  for (const node of nodes) for (const output of node.outputs) producer.set(output, node)
  let node = producer.get('logits')
  while (node && PASS_THROUGH.has(node.opType)) node = producer.get(node.inputs[0])
  return node && HEAD_OPS.has(node.opType) ? node : undefined
}

function int64Constant(name: string, values: readonly bigint[]): Uint8Array {
  const raw = new Uint8Array(values.length * 8)
  const view = new DataView(raw.buffer)
  values.forEach((v, i) => view.setBigInt64(i * 8, v, true))
  const tensor = concatBytes([
    encodeVarintField(TENSOR_DIMS, values.length),
    encodeVarintField(TENSOR_DATA_TYPE, TENSOR_INT64),
    encodeBytesField(TENSOR_RAW_DATA, raw)
  ])
  const attribute = concatBytes([
    encodeStringField(ATTRIBUTE_NAME, 'value'),
    encodeBytesField(ATTRIBUTE_TENSOR, tensor),
    encodeVarintField(ATTRIBUTE_TYPE, ATTRIBUTE_TYPE_TENSOR)
  ])
  const node = concatBytes([
    encodeStringField(NODE_OUTPUT, name),
    encodeStringField(NODE_NAME, name),
    encodeStringField(NODE_OP_TYPE, 'Constant'),
    encodeBytesField(NODE_ATTRIBUTE, attribute)
  ])
  return encodeBytesField(GRAPH_NODE, node)
}

/** Slice(hidden, [-1], [INT64_MAX], [1]) → last, then the head node reading `last` instead of `hidden`. */
function slicedHead(bytes: Uint8Array, head: NodeInfo): Uint8Array[] {
  const prefix = 'smolvlm_last_position'
  const last = `${prefix}/hidden`
  const slice = concatBytes([
    ...[head.inputs[0], `${prefix}/starts`, `${prefix}/ends`, `${prefix}/axes`].map((n) =>
      encodeStringField(NODE_INPUT, n)
    ),
    encodeStringField(NODE_OUTPUT, last),
    encodeStringField(NODE_NAME, `${prefix}/Slice`),
    encodeStringField(NODE_OP_TYPE, 'Slice')
  ])
  let replaced = false
  const headFields = subFields(bytes, head.field).map((f) => {
    if (f.number === NODE_INPUT && !replaced) {
      replaced = true
      return encodeStringField(NODE_INPUT, last)
    }
    return bytes.subarray(f.start, f.end)
  })
  return [
    int64Constant(`${prefix}/starts`, [-1n]),
    int64Constant(`${prefix}/ends`, [2n ** 63n - 1n]),
    int64Constant(`${prefix}/axes`, [1n]),
    encodeBytesField(GRAPH_NODE, slice),
    encodeBytesField(GRAPH_NODE, concatBytes(headFields))
  ]
}

function defaultOpset(bytes: Uint8Array, modelFields: readonly Field[]): number {
  for (const field of modelFields.filter((f) => f.number === MODEL_OPSET_IMPORT)) {
    const fields = subFields(bytes, field)
    const domain = fields.find((f) => f.number === OPSET_DOMAIN)
    if (domain && fieldString(bytes, domain) !== '' && fieldString(bytes, domain) !== 'ai.onnx') continue
    return fields.find((f) => f.number === OPSET_VERSION)?.value ?? 0
  }
  return 0
}

/** Applies whichever edits the graph allows; undefined when none does. Large models are edited as their skeleton. */
export function rewriteDecoder(model: Uint8Array): DecoderRewrite | undefined {
  const modelFields = readFields(model)
  const graph = modelFields.find((f) => f.number === MODEL_GRAPH && f.wireType === WIRE_LENGTH_DELIMITED)
  if (!graph) return undefined
  const graphFields = subFields(model, graph)
  const nodes = graphFields.filter((f) => f.number === GRAPH_NODE).map((f) => nodeInfo(model, f))
  const outputFields = graphFields.filter((f) => f.number === GRAPH_OUTPUT)
  const outputNames = outputFields.map((f) => stringsOf(model, f, VALUE_INFO_NAME)[0] ?? '')

  const traced = kvReplacements(model, nodes, outputNames)
  const attention = traced ? undefined : attentionCacheInputs(model, nodes, outputNames)
  const separateKv = attention !== undefined && [...attention.values()].every((input) => input !== '')
  const kv = traced ?? (separateKv ? attention : undefined)
  const sharedBufferKv = attention !== undefined && !separateKv
  // Slice with its bounds as inputs exists from opset 10.
  const head = defaultOpset(model, modelFields) >= 10 ? languageModelHead(nodes) : undefined
  if (!kv && !head)
    return sharedBufferKv ? { bytes: model, lastPositionLogits: false, sharedBufferKv } : undefined

  const newKvOutputs = new Map<string, string>()
  const graphParts: Uint8Array[] = []
  for (const field of graphFields) {
    if (head && field === head.field) {
      graphParts.push(...slicedHead(model, head))
      continue
    }
    if (field.number === GRAPH_OUTPUT) {
      const name = stringsOf(model, field, VALUE_INFO_NAME)[0] ?? ''
      const newName = kv?.get(name)
      const edited = newName
        ? shapelessOutput(model, field, newName)
        : head && name === 'logits'
          ? shapelessOutput(model, field, name)
          : undefined
      if (newName && edited) newKvOutputs.set(newName, name.replace(/^present\./, 'past_key_values.'))
      if (newName && !edited) return undefined
      graphParts.push(edited ?? model.subarray(field.start, field.end))
      continue
    }
    graphParts.push(model.subarray(field.start, field.end))
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
  return {
    bytes: concatBytes(parts),
    newKvOutputs: kv ? newKvOutputs : undefined,
    newKvLayout: kv ? (traced ? 'heads' : 'positions') : undefined,
    lastPositionLogits: head !== undefined,
    sharedBufferKv
  }
}

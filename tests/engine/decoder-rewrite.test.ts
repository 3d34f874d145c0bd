import { readFileSync } from 'node:fs'
import * as ort from 'onnxruntime-node'
import { describe, expect, it } from 'vitest'
import { rewriteDecoder } from '../../src/engine/decoder-rewrite.ts'
import { modelDir } from '../support/reference.ts'

const decoderBytes = (variant = '', model = 'tiny-gqa') =>
  new Uint8Array(readFileSync(`${modelDir(model)}/onnx/decoder_model_merged${variant}.onnx`))

describe('rewriteDecoder', () => {
  it("outputs each layer's new keys/values in place of the whole cache", async () => {
    const rewrite = rewriteDecoder(decoderBytes())!
    expect([...rewrite.newKvOutputs!.values()].sort()).toEqual([
      'past_key_values.0.key',
      'past_key_values.0.value',
      'past_key_values.1.key',
      'past_key_values.1.value'
    ])
    const session = await ort.InferenceSession.create(rewrite.bytes)
    expect(session.outputNames.filter((n) => n.startsWith('present.'))).toEqual([])
    expect(session.outputNames).toEqual(['logits', ...rewrite.newKvOutputs!.keys()])
  })

  it('returns the same logits and new keys/values as the shipped graph, for the last position only', async () => {
    const shipped = await ort.InferenceSession.create(decoderBytes())
    const rewrite = rewriteDecoder(decoderBytes())!
    const edited = await ort.InferenceSession.create(rewrite.bytes)
    const length = 5
    const feeds: Record<string, ort.Tensor> = {
      inputs_embeds: new ort.Tensor(
        'float32',
        Float32Array.from({ length: length * 8 }, (_, i) => Math.sin(i)),
        [1, length, 8]
      ),
      attention_mask: new ort.Tensor('int64', new BigInt64Array(length).fill(1n), [1, length]),
      position_ids: new ort.Tensor(
        'int64',
        BigInt64Array.from({ length }, (_, i) => BigInt(i)),
        [1, length]
      )
    }
    for (const name of shipped.inputNames.filter((n) => n.startsWith('past_'))) {
      feeds[name] = new ort.Tensor('float32', new Float32Array(0), [1, 2, 0, 8])
    }
    const before = await shipped.run(feeds)
    const after = await edited.run(feeds)
    const vocab = before['logits'].dims[2]
    expect(after['logits'].dims).toEqual([1, 1, vocab])
    expect(Array.from(after['logits'].data as Float32Array)).toEqual(
      Array.from((before['logits'].data as Float32Array).subarray((length - 1) * vocab))
    )
    for (const [output, past] of rewrite.newKvOutputs!) {
      // With an empty past, present is exactly the new keys/values.
      expect(Array.from(after[output].data as Float32Array)).toEqual(
        Array.from(before[past.replace('past_key_values.', 'present.')].data as Float32Array)
      )
    }
  })

  it('applies to the float16 and 4-bit decoders too', () => {
    for (const variant of ['_fp16', '_q4', '_q4f16']) {
      const rewrite = rewriteDecoder(decoderBytes(variant))
      expect(rewrite?.newKvOutputs?.size).toBe(4)
      expect(rewrite?.lastPositionLogits).toBe(true)
    }
  })

  it("outputs GroupQueryAttention's own key and value inputs in the official shape, where there is no Concat", async () => {
    for (const [model, variant] of [
      ['tiny-gqa-genai', ''],
      ['tiny-gqa-genai', '_q4'],
      ['tiny-mha-genai', '']
    ]) {
      const rewrite = rewriteDecoder(decoderBytes(variant, model))!
      expect(rewrite.newKvLayout, `${model}${variant}`).toBe('positions')
      expect([...rewrite.newKvOutputs!.values()].sort(), `${model}${variant}`).toEqual(
        rewrite.newKvOutputs!.size === 4
          ? [
              'past_key_values.0.key',
              'past_key_values.0.value',
              'past_key_values.1.key',
              'past_key_values.1.value'
            ]
          : [0, 1, 2].flatMap((i) => [`past_key_values.${i}.key`, `past_key_values.${i}.value`])
      )
      expect(rewrite.sharedBufferKv, `${model}${variant}`).toBe(false)
      expect(rewrite.lastPositionLogits, `${model}${variant}`).toBe(true)
    }
    const rewrite = rewriteDecoder(decoderBytes('', 'tiny-gqa-genai'))!
    const session = await ort.InferenceSession.create(rewrite.bytes)
    expect(session.outputNames).toEqual([
      'logits',
      '/model/layers.0/attn/k_rotary/RotaryEmbedding/output_0',
      '/model/layers.0/attn/v_proj/MatMul/output_0',
      '/model/layers.1/attn/k_rotary/RotaryEmbedding/output_0',
      '/model/layers.1/attn/v_proj/MatMul/output_0'
    ])
    // Dynamically quantised: the head is MatMulInteger followed by a scale (not edited); the keys/values still are.
    const int8 = rewriteDecoder(decoderBytes('_int8', 'tiny-gqa-genai'))!
    expect(int8.newKvLayout).toBe('positions')
    expect(int8.lastPositionLogits).toBe(false)
  })

  it('shares one buffer for past and present where the attention takes packed QKV (the CPU style)', () => {
    for (const variant of ['', '_q4']) {
      const rewrite = rewriteDecoder(decoderBytes(variant, 'tiny-mha-genai-cpu'))!
      expect(rewrite.newKvOutputs).toBeUndefined()
      expect(rewrite.sharedBufferKv).toBe(true)
      expect(rewrite.lastPositionLogits).toBe(true)
    }
  })

  it('does not share the buffer where Casts stand between the cache and the attention (float16 graph, float32 I/O)', () => {
    for (const variant of ['_fp16', '_q4f16']) {
      const rewrite = rewriteDecoder(decoderBytes(variant, 'tiny-gqa-genai'))!
      expect(rewrite.sharedBufferKv).toBe(false)
      expect(rewrite.newKvOutputs).toBeUndefined()
      expect(rewrite.lastPositionLogits).toBe(true)
    }
  })

  it('keeps the cache as returned where the attention rotates its key input itself (do_rotary 1)', () => {
    // The official-shape decoder with each node's do_rotary attribute flipped to 1 (same byte length): its key
    // input is then unrotated, so it cannot be the cache's rows; the buffer is shared instead.
    const bytes = decoderBytes('', 'tiny-gqa-genai')
    const name = Buffer.from('do_rotary')
    let flipped = 0
    for (let at = Buffer.from(bytes).indexOf(name); at >= 0; at = Buffer.from(bytes).indexOf(name, at + 1)) {
      const i = bytes.indexOf(0x18, at + name.length) // the attribute's int field (number 3, varint)
      if (i > 0 && i < at + name.length + 4 && bytes[i + 1] === 0) {
        bytes[i + 1] = 1
        flipped++
      }
    }
    expect(flipped).toBe(2)
    const rewrite = rewriteDecoder(bytes)!
    expect(rewrite.newKvOutputs).toBeUndefined()
    expect(rewrite.sharedBufferKv).toBe(true)
  })

  it('does not take a traced graph for a GroupQueryAttention one', () => {
    const traced = rewriteDecoder(decoderBytes())!
    expect(traced.sharedBufferKv).toBe(false)
    expect(traced.newKvLayout).toBe('heads')
  })

  it('leaves a graph without a decoder cache alone', () => {
    const vision = new Uint8Array(readFileSync(`${modelDir('tiny-gqa')}/onnx/vision_encoder.onnx`))
    expect(rewriteDecoder(vision)).toBeUndefined()
  })
})

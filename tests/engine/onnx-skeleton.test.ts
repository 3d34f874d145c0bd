import { copyFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import * as ort from 'onnxruntime-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readModelSkeleton } from '../../src/engine/onnx-skeleton.ts'
import { modelDir } from '../support/reference.ts'

/**
 * A model's structure with its weights left in the file: what the engine edits instead of reading the whole
 * decoder. Loaded with the folder option, it must compute exactly what the file computes.
 */
const decoder = (model: string, variant = '') => `${modelDir(model)}/onnx/decoder_model_merged${variant}.onnx`

async function runDecoder(session: ort.InferenceSession, hidden: number) {
  const feeds: Record<string, ort.Tensor> = {
    inputs_embeds: new ort.Tensor(
      'float32',
      Float32Array.from({ length: 3 * hidden }, (_, i) => Math.sin(i)),
      [1, 3, hidden]
    ),
    attention_mask: new ort.Tensor('int64', BigInt64Array.of(1n, 1n, 1n), [1, 3])
  }
  if (session.inputNames.includes('position_ids'))
    feeds['position_ids'] = new ort.Tensor('int64', BigInt64Array.of(0n, 1n, 2n), [1, 3])
  const meta = session.inputMetadata as unknown as { name: string; shape: (number | string)[] }[]
  for (const input of meta.filter((m) => m.name.startsWith('past_key_values.'))) {
    const [, heads, , dim] = input.shape as number[]
    feeds[input.name] = new ort.Tensor('float32', new Float32Array(0), [1, heads, 0, dim])
  }
  const outputs = await session.run(feeds)
  return Object.fromEntries(
    Object.entries(outputs).map(([name, t]) => [name, Array.from(t.data as Float32Array)])
  )
}

describe('readModelSkeleton', () => {
  let scratch: string
  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'smolvlm-skeleton-'))
  })
  afterAll(() => rm(scratch, { recursive: true, force: true }))

  for (const [model, variant, hidden] of [
    ['tiny-gqa', '', 8],
    ['tiny-gqa-genai', '', 8],
    ['tiny-gqa-genai', '_q4', 8],
    ['tiny-mha-genai-cpu', '', 8]
  ] as const) {
    it(`${model}${variant}: references the weights in the file and computes what the file computes`, async () => {
      const path = decoder(model, variant)
      const skeleton = await readModelSkeleton(path)
      expect(skeleton.externalTensors).toBeGreaterThan(0)
      expect(skeleton.bytes.length + skeleton.externalBytes).toBeGreaterThan((await stat(path)).size * 0.99)
      expect(skeleton.bytes.length).toBeLessThan((await stat(path)).size / 10)
      const fromSkeleton = await ort.InferenceSession.create(skeleton.bytes, {
        extra: { session: { model_external_initializers_file_folder_path: dirname(path) } }
      })
      const fromFile = await ort.InferenceSession.create(path)
      expect(await runDecoder(fromSkeleton, hidden)).toEqual(await runDecoder(fromFile, hidden))
      await Promise.all([fromSkeleton.release(), fromFile.release()])
    })
  }

  it('keeps the references of weights that are already in external data files', async () => {
    // The skeleton of a skeleton: its references stay as they are (same location, offsets and lengths).
    const folder = join(scratch, 'external')
    await mkdir(folder)
    await copyFile(decoder('tiny-gqa-genai'), join(folder, 'decoder_model_merged.onnx'))
    const first = await readModelSkeleton(join(folder, 'decoder_model_merged.onnx'))
    await writeFile(join(folder, 'skeleton.onnx'), first.bytes)
    const second = await readModelSkeleton(join(folder, 'skeleton.onnx'))
    expect(second.externalTensors).toBe(0)
    expect(Buffer.from(second.bytes).equals(Buffer.from(first.bytes))).toBe(true)
  })

  it('fails on a file that is not a model (the engine then loads the file as it is)', async () => {
    const path = join(scratch, 'garbage.onnx')
    await writeFile(path, Buffer.from('\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff not protobuf'))
    await expect(readModelSkeleton(path)).rejects.toThrow()
    const truncated = join(scratch, 'truncated.onnx')
    await writeFile(truncated, (await readFile(decoder('tiny-gqa'))).subarray(0, 100_000))
    await expect(readModelSkeleton(truncated)).rejects.toThrow()
  })
})

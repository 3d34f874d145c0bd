import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readInputsFile } from '../../src/engine/inputs-file.ts'
import { SmolVLM } from '../../src/engine/smolvlm.ts'
import type { Variant } from '../../src/engine/model-files.ts'
import { collect } from '../support/collect.ts'
import { inputsPath, loadReference, modelDir, requestFor } from '../support/reference.ts'

/**
 * Every precision of the official export loads and generates the same ids as onnxruntime's Python API does on
 * the same files and inputs (scripts/fixtures/ort_runner.py), including the float16 KV cache of fp16/q4f16.
 */
const reference = loadReference('tiny-gqa')
const variants = Object.keys(reference.cases[0].onnx_generated_ids) as Variant[]

describe.each(variants)('tiny-gqa %s', (variant) => {
  let model: SmolVLM
  beforeAll(async () => {
    model = await SmolVLM.load(modelDir('tiny-gqa'), { variant, device: 'cpu' })
  })
  afterAll(() => model?.dispose())

  it.each(reference.cases.map((c) => [c.name, c] as const))(
    '%s matches onnxruntime-python',
    async (_name, c) => {
      const inputs = await readInputsFile(inputsPath('tiny-gqa', c))
      const { done } = await collect(model.generate(inputs, requestFor(c)))
      expect(done.tokenIds).toEqual(c.onnx_generated_ids[variant])
    }
  )
})

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readInputsFile } from '../../src/engine/inputs-file.ts'
import { SmolVLM } from '../../src/engine/smolvlm.ts'
import type { Variant } from '../../src/engine/model-files.ts'
import { collect } from '../support/collect.ts'
import { inputsPath, loadReference, modelDir, requestFor } from '../support/reference.ts'

/**
 * Every precision of an export loads and generates the same ids as onnxruntime's Python API does on the same
 * files and inputs (scripts/fixtures/ort_runner.py): the traced fixture (float16 KV cache in fp16, all-float16
 * I/O in q4f16) and the official-shape ones (GroupQueryAttention; fp16 and q4f16 keep float32 I/O).
 */
for (const modelName of ['tiny-gqa', 'tiny-gqa-genai', 'tiny-mha-genai', 'tiny-mha-genai-cpu']) {
  const reference = loadReference(modelName)
  const variants = Object.keys(reference.cases[0].onnx_generated_ids).filter((v) => v !== 'fp32') as Variant[]

  describe.each(variants)(`${modelName} %s`, (variant) => {
    let model: SmolVLM
    beforeAll(async () => {
      model = await SmolVLM.load(modelDir(modelName), { variant, device: 'cpu' })
    })
    afterAll(() => model?.dispose())

    it.each(reference.cases.map((c) => [c.name, c] as const))(
      '%s matches onnxruntime-python',
      async (_name, c) => {
        const inputs = await readInputsFile(inputsPath(modelName, c))
        const { done } = await collect(model.generate(inputs, requestFor(c)))
        expect(done.tokenIds).toEqual(c.onnx_generated_ids[variant])
      }
    )
  })
}

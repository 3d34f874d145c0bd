import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { ChatMessage } from '../../src/engine/prompt.ts'

/** Paths and loaders for the committed fixtures (tests/fixtures): random-weight models + Python reference runs. */
export const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url))
export const modelDir = (name: string) => `${FIXTURES}models/${name}`
export const imagePath = (relative: string) => `${FIXTURES}${relative}`

export interface ReferenceCase {
  readonly name: string
  readonly images: readonly string[]
  readonly messages: readonly ChatMessage[]
  readonly processor_overrides: {
    readonly do_image_splitting?: boolean
    readonly size?: { readonly longest_edge: number }
  }
  readonly prompt: string
  readonly input_ids: readonly number[]
  readonly rows: readonly number[]
  readonly cols: readonly number[]
  readonly pixel_values_shape?: readonly number[]
  readonly inputs_file: string
  readonly generation: { readonly max_new_tokens: number; readonly repetition_penalty: number }
  readonly generated_ids: readonly number[]
  readonly generated_text_skip_special: string
  readonly onnx_generated_ids: Readonly<Record<string, readonly number[]>>
}

export interface ReferenceFile {
  readonly model: string
  readonly cases: readonly ReferenceCase[]
}

export function loadReference(model: string): ReferenceFile {
  return JSON.parse(readFileSync(`${FIXTURES}reference/${model}/cases.json`, 'utf8')) as ReferenceFile
}

export const inputsPath = (model: string, c: ReferenceCase) =>
  `${FIXTURES}reference/${model}/${c.inputs_file}`

/** The engine request equivalent to a reference case's processor and generation options. */
export function requestFor(c: ReferenceCase) {
  return {
    messages: c.messages,
    images: c.images.map(imagePath),
    doImageSplitting: c.processor_overrides.do_image_splitting,
    longestEdge: c.processor_overrides.size?.longest_edge,
    maxNewTokens: c.generation.max_new_tokens,
    repetitionPenalty: c.generation.repetition_penalty === 1 ? undefined : c.generation.repetition_penalty
  }
}

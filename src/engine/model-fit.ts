/**
 * Whether the three graphs of a model folder and its configs belong together, checked once at load from the
 * sessions' declared shapes. A folder mixing two exports (one preset's decoder with another's embeddings or vision
 * encoder, a config.json from elsewhere) otherwise loads fine and then fails on every image with an onnxruntime
 * shape error cut to a line; here it fails once, with the mismatch named.
 */
import { basename, dirname } from 'node:path'
import { SmolvlmError } from './errors.ts'
import type { ModelConfig, SessionName } from './model-files.ts'
import type * as ort from 'onnxruntime-node'

export interface FitInput {
  readonly dir: string
  readonly config: Pick<ModelConfig, 'text' | 'vocabSize' | 'imageSeqLen' | 'preprocess'>
  readonly paths: Readonly<Record<SessionName, string>>
  readonly sessions: Readonly<Record<SessionName, ort.InferenceSession>>
}

function shapeOf(
  list: readonly ort.InferenceSession.ValueMetadata[],
  name: string
): readonly (number | string)[] | undefined {
  const meta = list.find((value) => value.name === name)
  return meta?.isTensor ? meta.shape : undefined
}

/** A dimension from the end (-1 = last) when the graph fixes it, else undefined (symbolic or absent). */
function dim(shape: readonly (number | string)[] | undefined, index: number): number | undefined {
  const value = shape?.at(index)
  return typeof value === 'number' && value > 0 ? value : undefined
}

/** The first mismatch between the graphs and the configs, as a clause, or undefined when they fit. */
export function modelMismatch({ config, paths, sessions }: FitInput): string | undefined {
  const file = (name: SessionName) => `${basename(dirname(paths[name]))}/${basename(paths[name])}`
  const hidden = config.text.hiddenSize
  const embedOut = dim(shapeOf(sessions.embed_tokens.outputMetadata, 'inputs_embeds'), -1)
  const decoderIn = dim(shapeOf(sessions.decoder_model_merged.inputMetadata, 'inputs_embeds'), -1)
  const features = shapeOf(sessions.vision_encoder.outputMetadata, 'image_features')
  const pixels = shapeOf(sessions.vision_encoder.inputMetadata, 'pixel_values')
  const logits = dim(shapeOf(sessions.decoder_model_merged.outputMetadata, 'logits'), -1)

  if (embedOut !== undefined && decoderIn !== undefined && embedOut !== decoderIn) {
    return `${file('embed_tokens')} makes vectors of size ${embedOut} but ${file('decoder_model_merged')} takes size ${decoderIn}`
  }
  if (decoderIn !== undefined && decoderIn !== hidden) {
    return `${file('decoder_model_merged')} takes vectors of size ${decoderIn} but config.json says hidden_size ${hidden}`
  }
  if (embedOut !== undefined && embedOut !== hidden) {
    return `${file('embed_tokens')} makes vectors of size ${embedOut} but config.json says hidden_size ${hidden}`
  }
  const featureSize = dim(features, -1)
  if (featureSize !== undefined && featureSize !== (decoderIn ?? hidden)) {
    return `${file('vision_encoder')} makes image features of size ${featureSize} but ${file('decoder_model_merged')} takes size ${decoderIn ?? hidden}`
  }
  const tile = config.preprocess.tileSize
  const [height, width] = [dim(pixels, -2), dim(pixels, -1)]
  if ((height !== undefined && height !== tile) || (width !== undefined && width !== tile)) {
    return `${file('vision_encoder')} takes ${width ?? '?'}x${height ?? '?'} tiles but preprocessor_config.json makes ${tile}x${tile} tiles`
  }
  const perTile = features !== undefined && features.length === 3 ? dim(features, -2) : undefined
  if (perTile !== undefined && perTile !== config.imageSeqLen) {
    return `${file('vision_encoder')} makes ${perTile} features per tile but the configs make room for ${config.imageSeqLen} image tokens`
  }
  if (logits !== undefined && logits !== config.vocabSize) {
    return `${file('decoder_model_merged')} scores ${logits} tokens but config.json says vocab_size ${config.vocabSize}`
  }
  return undefined
}

/** Throws 'model-corrupt' naming the first mismatch between the graphs and the configs. */
export function checkModelFits(input: FitInput): void {
  const mismatch = modelMismatch(input)
  if (mismatch === undefined) return
  throw new SmolvlmError(
    'model-corrupt',
    `The model folder ${input.dir} does not fit together: ${mismatch}. Its files come from different models or ` +
      'exports; download or export the model again.'
  )
}

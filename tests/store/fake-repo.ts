/**
 * A tiny repository laid out like HuggingFaceTB/SmolVLM-*-Instruct: real-looking configs that readModelConfig
 * accepts, and "ONNX" files of deterministic noise (the store never parses ONNX).
 */
import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'

const KB = 1024

/** Deterministic bytes (xorshift32) so every run serves the same files. */
export function noise(size: number, seed: number): Buffer {
  const out = Buffer.alloc(size)
  let x = seed >>> 0 || 1
  for (let i = 0; i < size; i++) {
    x ^= x << 13
    x >>>= 0
    x ^= x >>> 17
    x ^= x << 5
    x >>>= 0
    out[i] = x & 0xff
  }
  return out
}

const json = (value: unknown) => Buffer.from(JSON.stringify(value, null, 2) + '\n')

const CHAT_TEMPLATE =
  "<|im_start|>{% for message in messages %}{{message['role'] | capitalize}}: {{ message['content'] }}<end_of_utterance>\n{% endfor %}" +
  '{% if add_generation_prompt %}Assistant:{% endif %}'

export interface TinyRepoOptions {
  /** Multiplies the ONNX file sizes (1: 60 KB–600 KB). */
  readonly onnxScale?: number
  /** Changes every ONNX byte (a second commit of "the same" repository). */
  readonly seed?: number
  /** Adds onnx/decoder_model_merged.onnx_data beside the fp32 decoder. */
  readonly externalData?: boolean
}

export function tinyRepoFiles(options: TinyRepoOptions = {}): Record<string, Buffer> {
  const scale = options.onnxScale ?? 1
  const seed = options.seed ?? 1
  const files: Record<string, Buffer> = {
    'config.json': json({
      architectures: ['Idefics3ForConditionalGeneration'],
      model_type: 'idefics3',
      image_token_id: 5,
      scale_factor: 2,
      text_config: {
        hidden_size: 16,
        num_attention_heads: 2,
        num_key_value_heads: 1,
        num_hidden_layers: 1,
        vocab_size: 32
      },
      vision_config: { image_size: 32, patch_size: 8, hidden_size: 8 }
    }),
    'generation_config.json': json({ bos_token_id: 0, eos_token_id: 2, pad_token_id: 1 }),
    'preprocessor_config.json': json({
      do_image_splitting: true,
      image_mean: [0.5, 0.5, 0.5],
      image_std: [0.5, 0.5, 0.5],
      max_image_size: { longest_edge: 32 },
      resample: 1,
      rescale_factor: 1 / 255,
      size: { longest_edge: 64 }
    }),
    'processor_config.json': json({ image_seq_len: 4, processor_class: 'Idefics3Processor' }),
    'tokenizer.json': json({
      version: '1.0',
      model: { type: 'BPE', vocab: { '<unk>': 0, '<|im_start|>': 1 }, merges: [] }
    }),
    'tokenizer_config.json': json({ chat_template: CHAT_TEMPLATE, eos_token: '<end_of_utterance>' }),
    'chat_template.json': json({ chat_template: CHAT_TEMPLATE }),
    'special_tokens_map.json': json({ eos_token: '<end_of_utterance>' }),
    'onnx/vision_encoder.onnx': noise(200 * KB * scale, seed * 11),
    'onnx/embed_tokens.onnx': noise(80 * KB * scale, seed * 13),
    'onnx/decoder_model_merged.onnx': noise(400 * KB * scale, seed * 17),
    'onnx/vision_encoder_q4.onnx': noise(60 * KB * scale, seed * 19),
    'onnx/embed_tokens_q4.onnx': noise(80 * KB * scale, seed * 23),
    'onnx/decoder_model_merged_q4.onnx': noise(600 * KB * scale, seed * 29)
  }
  if (options.externalData) files['onnx/decoder_model_merged.onnx_data'] = noise(300 * KB * scale, seed * 31)
  return files
}

/** The repository path of every file pull fetches for the q4 variant of tinyRepoFiles. */
export const Q4_FILES = [
  'chat_template.json',
  'config.json',
  'generation_config.json',
  'onnx/decoder_model_merged_q4.onnx',
  'onnx/embed_tokens_q4.onnx',
  'onnx/vision_encoder_q4.onnx',
  'preprocessor_config.json',
  'processor_config.json',
  'special_tokens_map.json',
  'tokenizer.json',
  'tokenizer_config.json'
]

/** Writes files to a folder, laid out like the hub repository. */
export async function writeRepo(dir: string, files: Record<string, Buffer>): Promise<string> {
  for (const [name, data] of Object.entries(files)) {
    const target = path.join(dir, ...name.split('/'))
    await mkdir(path.dirname(target), { recursive: true })
    await writeFile(target, data)
  }
  return dir
}

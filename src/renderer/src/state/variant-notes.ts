/** One line per precision for the pickers (facts from docs/smolvlm-onnx.md §4.1 and §6). */
import type { Variant } from '../../../shared/model.ts'

export const VARIANT_NOTES: Readonly<Record<Variant, string>> = {
  fp32: 'Full precision: the reference quality and the largest files.',
  fp16: 'Half precision: half the size of fp32; for GPUs (on some GPU back-ends it can overflow: check the output).',
  int8: 'Signed 8-bit: the vision encoder does not run in onnxruntime (ConvInteger with int8 weights is missing); use uint8.',
  uint8: '8-bit weights: about a quarter of fp32; a good CPU choice.',
  quantized: 'The same files as uint8 under another name.',
  q4: '4-bit weights for the matrix multiplies: the smallest decoders and fast on CPUs (the CPU default).',
  q4f16: '4-bit weights with half-precision activations: for GPUs.',
  bnb4: '4-bit NF4 weights: about the size of q4.'
}

export const DEVICE_LABELS: Readonly<Record<string, string>> = {
  auto: 'Automatic (best available, falls back to CPU)',
  cpu: 'CPU',
  webgpu: 'WebGPU',
  cuda: 'NVIDIA CUDA',
  dml: 'DirectML (Windows GPU)',
  coreml: 'Core ML (Apple)'
}

export const PROVIDER_LABELS: Readonly<Record<string, string>> = {
  cpu: 'CPU',
  webgpu: 'WebGPU',
  cuda: 'CUDA',
  dml: 'DirectML',
  coreml: 'Core ML'
}

/** Whether a device setting means a GPU (for the per-device download recommendation). */
export function isGpuDevice(device: string): boolean {
  return device !== 'auto' && device !== 'cpu'
}

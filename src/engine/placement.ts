import type { Device, ExecutionProvider } from './runtime.ts'

/**
 * Decoder weights below which the CPU generates tokens faster than WebGPU does.
 *
 * Measured on an NVIDIA H200 under Linux (Vulkan) with onnxruntime-node 1.30 and a 256M-sized decoder: every
 * WebGPU decoder step costs ~65 ms whatever the precision or context length (kernel dispatch and copies, not
 * arithmetic: fp32 and q4 decode at the same 10 tok/s), while 16 CPU cores decode 28–72 tok/s. The vision encoder
 * is the opposite case (17 tiles: 0.57 s on WebGPU, 3.9 s on the CPU). A CPU step reads every decoder weight once,
 * at roughly 20 GB/s on an ordinary desktop, so at about 1.3 GB of weights it takes as long as a WebGPU step:
 * SmolVLM-256M/500M decoders stay on the CPU, 2.2B's go to the GPU.
 */
export const WEBGPU_DECODER_MIN_BYTES = 1.3e9

/**
 * Where the text sessions (embed_tokens, decoder) run, given where the vision encoder went. Only an automatic
 * choice is ever split: a device the user named is used for every session.
 */
export function textSessionsDevice(
  requested: Device,
  visionProvider: ExecutionProvider,
  decoderWeightBytes: number
): Device {
  if (requested !== 'auto') return requested
  if (visionProvider === 'webgpu' && decoderWeightBytes < WEBGPU_DECODER_MIN_BYTES) return 'cpu'
  return requested
}

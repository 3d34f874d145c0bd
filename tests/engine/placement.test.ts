import { describe, expect, it } from 'vitest'
import { WEBGPU_DECODER_MIN_BYTES, textSessionsDevice } from '../../src/engine/placement.ts'

describe('textSessionsDevice', () => {
  const small = 540e6 // SmolVLM-256M's fp32 decoder
  const large = 7e9 // SmolVLM-2.2B's

  it('keeps a small decoder on the CPU when the automatic choice put the images on WebGPU', () => {
    expect(textSessionsDevice('auto', 'webgpu', small)).toBe('cpu')
    expect(textSessionsDevice('auto', 'webgpu', WEBGPU_DECODER_MIN_BYTES - 1)).toBe('cpu')
  })

  it('lets a large decoder follow the images to the GPU', () => {
    expect(textSessionsDevice('auto', 'webgpu', large)).toBe('auto')
    expect(textSessionsDevice('auto', 'webgpu', WEBGPU_DECODER_MIN_BYTES)).toBe('auto')
  })

  it('never splits a device the user named', () => {
    expect(textSessionsDevice('webgpu', 'webgpu', small)).toBe('webgpu')
    expect(textSessionsDevice('cpu', 'cpu', small)).toBe('cpu')
    expect(textSessionsDevice('cuda', 'cuda', small)).toBe('cuda')
  })

  it('leaves other providers of an automatic choice alone', () => {
    for (const provider of ['cuda', 'dml', 'coreml', 'cpu'] as const) {
      expect(textSessionsDevice('auto', provider, small)).toBe('auto')
    }
  })
})

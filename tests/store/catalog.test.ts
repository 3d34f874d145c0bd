import { describe, expect, it } from 'vitest'
import { resolveVariants, sessionVariantsFor, VARIANTS } from '../../src/engine/model-files.ts'
import type { Variant } from '../../src/engine/model-files.ts'
import {
  CATALOG,
  choiceWarnings,
  DEFAULT_CATALOG_ID,
  defaultStoreRoot,
  estimateDownloadBytes,
  ModelStore
} from '../../src/store/index.ts'

describe('catalog', () => {
  it('offers the three SmolVLM Instruct models from their official repositories', () => {
    expect(CATALOG.map((e) => [e.id, e.repo])).toEqual([
      ['smolvlm-256m', 'HuggingFaceTB/SmolVLM-256M-Instruct'],
      ['smolvlm-500m', 'HuggingFaceTB/SmolVLM-500M-Instruct'],
      ['smolvlm-2.2b', 'HuggingFaceTB/SmolVLM-Instruct']
    ])
    expect(DEFAULT_CATALOG_ID).toBe('smolvlm-256m')
  })

  it('recommends a q4 decoder with the uint8 vision encoder on CPU and never an int8 vision encoder', () => {
    for (const entry of CATALOG)
      expect(resolveVariants(entry.recommended.cpu)).toEqual({
        vision_encoder: 'uint8',
        embed_tokens: 'q4',
        decoder_model_merged: 'q4'
      })
    for (const entry of CATALOG) {
      for (const choice of [entry.recommended.cpu, entry.recommended.gpu]) {
        expect(resolveVariants(choice).vision_encoder).not.toBe('int8')
        expect(choiceWarnings(choice)).toEqual([])
      }
    }
    expect(choiceWarnings('int8')).toHaveLength(1)
  })

  it('knows the size and sha256 of every 256M ONNX file from its LFS pointers', () => {
    const known = CATALOG[0]!.knownFiles!
    expect(known).toHaveLength(24)
    expect(known.find((f) => f.path === 'onnx/decoder_model_merged_q4.onnx')).toEqual({
      path: 'onnx/decoder_model_merged_q4.onnx',
      size: 86562901,
      sha256: 'e3fd81130e30715580cf148398e48e2925b6219bff75e17d2a77add35a363f65'
    })
    // quantized and uint8 are the same bytes under two names (docs/smolvlm-onnx.md §4.1).
    const hash = (p: string) => known.find((f) => f.path === p)?.sha256
    expect(hash('onnx/vision_encoder_quantized.onnx')).toBe(hash('onnx/vision_encoder_uint8.onnx'))
  })

  it('estimates the 256M download for a precision, and leaves the others to the hub', () => {
    expect(estimateDownloadBytes(CATALOG[0]!, 'q4')).toBe(63784987 + 113541438 + 86562901 + 3590785)
    expect(estimateDownloadBytes(CATALOG[0]!, 'fp32')).toBe(374316497 + 113541419 + 540640302 + 3590785)
    expect(estimateDownloadBytes(CATALOG[0]!, CATALOG[0]!.recommended.cpu)).toBe(
      94247969 + 113541438 + 86562901 + 3590785
    )
    expect(estimateDownloadBytes(CATALOG[1]!, 'q4')).toBeUndefined()
  })

  it('lists every published precision and explains each choice in a sentence for the UI', () => {
    for (const entry of CATALOG) {
      expect(entry.variants).toEqual(VARIANTS)
      expect(entry.summary.length).toBeGreaterThan(60)
    }
  })

  it('is what a store shows unless one is given', () => {
    expect(new ModelStore({ root: '/tmp/x' }).catalog()).toBe(CATALOG)
  })
})

describe('defaultStoreRoot', () => {
  it('uses SMOLVLM_HOME when set', () => {
    expect(defaultStoreRoot({ SMOLVLM_HOME: '/data/smol', HOME: '/home/u' }, 'linux')).toBe('/data/smol')
  })

  it('uses the XDG data folder on Linux', () => {
    expect(defaultStoreRoot({ HOME: '/home/u' }, 'linux')).toBe('/home/u/.local/share/smolvlm')
    expect(defaultStoreRoot({ HOME: '/home/u', XDG_DATA_HOME: '/xdg' }, 'linux')).toBe('/xdg/smolvlm')
  })

  it('uses Application Support on macOS', () => {
    expect(defaultStoreRoot({ HOME: '/Users/u' }, 'darwin')).toBe(
      '/Users/u/Library/Application Support/smolvlm'
    )
  })

  it('uses the local (not roaming) %LOCALAPPDATA% on Windows', () => {
    expect(
      defaultStoreRoot(
        { APPDATA: 'C:\\Users\\u\\AppData\\Roaming', LOCALAPPDATA: 'C:\\Users\\u\\AppData\\Local' },
        'win32'
      )
    ).toBe('C:\\Users\\u\\AppData\\Local\\smolvlm')
  })
})

describe('sessionVariantsFor', () => {
  const present = (vision: Variant[], rest: Variant[] = ['q4']) => ({
    vision_encoder: vision,
    embed_tokens: rest,
    decoder_model_merged: rest
  })

  it('uses the word everywhere when every session has it', () => {
    expect(sessionVariantsFor('q4', present(['q4', 'uint8']))).toEqual({
      vision_encoder: 'q4',
      embed_tokens: 'q4',
      decoder_model_merged: 'q4'
    })
  })

  it('takes uint8, then full precision, for a missing vision encoder, never int8', () => {
    expect(sessionVariantsFor('q4', present(['fp32', 'uint8']))?.vision_encoder).toBe('uint8')
    expect(sessionVariantsFor('q4', present(['fp16', 'fp32']))?.vision_encoder).toBe('fp32')
    expect(sessionVariantsFor('q4', present(['int8']))).toBeUndefined()
  })

  it('never replaces the decoder or the embeddings', () => {
    expect(sessionVariantsFor('fp32', present(['fp32']))).toBeUndefined()
    expect(
      sessionVariantsFor('q4', {
        vision_encoder: ['q4'],
        embed_tokens: ['fp32'],
        decoder_model_merged: ['q4']
      })
    ).toBeUndefined()
  })
})

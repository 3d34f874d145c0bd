import { describe, expect, it } from 'vitest'
import { argmax, seededRandom, TokenChooser } from '../../src/engine/sampling.ts'

describe('argmax', () => {
  it('returns the first index among equal maxima, as torch.argmax does', () => {
    expect(argmax(Float32Array.of(1, 3, 3, 2))).toBe(1)
  })
})

describe('repetition penalty', () => {
  it('divides positive and multiplies negative logits of ids already seen, once per id', () => {
    const chooser = new TokenChooser({ sampling: { kind: 'greedy' }, repetitionPenalty: 2 }, [0, 1, 1])
    const logits = Float32Array.of(4, -1, 3.5, 0)
    expect(chooser.choose(logits)).toBe(2)
    expect(Array.from(logits)).toEqual([2, -2, 3.5, 0])
  })

  it('counts generated ids as seen for later steps', () => {
    const chooser = new TokenChooser({ sampling: { kind: 'greedy' }, repetitionPenalty: 2 }, [])
    expect(chooser.choose(Float32Array.of(1, 3, 2))).toBe(1)
    expect(chooser.choose(Float32Array.of(1, 3, 2))).toBe(2)
  })
})

describe('sampling', () => {
  it('repeats the same choices for the same seed', () => {
    const logits = () => Float32Array.from({ length: 50 }, (_, i) => Math.sin(i))
    const run = () => {
      const chooser = new TokenChooser({ sampling: { kind: 'sample', temperature: 1.5, seed: 7 } }, [])
      return Array.from({ length: 20 }, () => chooser.choose(logits()))
    }
    expect(run()).toEqual(run())
  })

  it('never picks outside the top-k', () => {
    const chooser = new TokenChooser({ sampling: { kind: 'sample', temperature: 5, topK: 2, seed: 1 } }, [])
    const picks = new Set(Array.from({ length: 200 }, () => chooser.choose(Float32Array.of(0, 5, 1, 4.9, 2))))
    expect([...picks].sort()).toEqual([1, 3])
  })

  it('keeps only the smallest set reaching top-p', () => {
    const chooser = new TokenChooser({ sampling: { kind: 'sample', temperature: 1, topP: 0.5, seed: 3 } }, [])
    const picks = new Set(Array.from({ length: 100 }, () => chooser.choose(Float32Array.of(10, 0, 0, 0))))
    expect([...picks]).toEqual([0])
  })

  it('rejects a non-positive temperature', () => {
    expect(() => new TokenChooser({ sampling: { kind: 'sample', temperature: 0 } }, [])).toThrow(
      /temperature/
    )
  })
})

describe('seededRandom', () => {
  it('yields numbers in [0, 1)', () => {
    const next = seededRandom(42)
    const values = Array.from({ length: 1000 }, next)
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0)
    expect(Math.max(...values)).toBeLessThan(1)
  })
})

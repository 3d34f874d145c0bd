import { describe, expect, it } from 'vitest'
import { RestartPolicy } from '../../src/host/restart-policy.ts'

function policy(options = {}) {
  let time = 0
  const clock = { advance: (ms: number) => (time += ms) }
  return {
    clock,
    policy: new RestartPolicy(
      {
        baseDelayMs: 500,
        maxDelayMs: 4000,
        factor: 2,
        maxCrashes: 5,
        windowMs: 60_000,
        stableMs: 30_000,
        ...options
      },
      () => time
    )
  }
}

describe('restart back-off', () => {
  it('doubles the delay with each crash in a row, up to the maximum', () => {
    const { policy: p, clock } = policy({ maxCrashes: 10 })
    const delays = []
    for (let i = 0; i < 6; i++) {
      clock.advance(10)
      const decision = p.onCrash(10)
      if (decision.restart) delays.push(decision.delayMs)
    }
    expect(delays).toEqual([500, 1000, 2000, 4000, 4000, 4000])
  })

  it('gives up after more than maxCrashes crashes within the window', () => {
    const { policy: p, clock } = policy()
    const decisions = []
    for (let i = 0; i < 6; i++) {
      clock.advance(1000)
      decisions.push(p.onCrash(100).restart)
    }
    expect(decisions).toEqual([true, true, true, true, true, false])
  })

  it('forgets crashes older than the window', () => {
    const { policy: p, clock } = policy()
    for (let i = 0; i < 5; i++) p.onCrash(100)
    clock.advance(60_001)
    expect(p.onCrash(100).restart).toBe(true)
  })

  it('starts the back-off over after a worker that ran stably', () => {
    const { policy: p } = policy()
    p.onCrash(10)
    p.onCrash(10)
    expect(p.onCrash(30_000)).toEqual({ restart: true, delayMs: 500, attempt: 1 })
  })

  it('starts over after a finished job (onHealthy)', () => {
    const { policy: p } = policy()
    for (let i = 0; i < 5; i++) p.onCrash(10)
    p.onHealthy()
    expect(p.onCrash(10)).toEqual({ restart: true, delayMs: 500, attempt: 1 })
  })
})

import { describe, expect, it } from 'vitest'
import { StabilityTracker } from '../../src/watch/stability.ts'

const SETTLE = 1000
const paths = (tracker: StabilityTracker, now: number) => tracker.settled(now).map((f) => f.path)

describe('StabilityTracker: a file is written once size and mtime stay the same for the settle interval', () => {
  it('a file growing in chunks settles one interval after its last change, not before', () => {
    const t = new StabilityTracker(SETTLE)
    t.observe('/w/a.jpg', { size: 100, mtimeMs: 0 }, 0)
    t.observe('/w/a.jpg', { size: 200, mtimeMs: 600 }, 600)
    t.observe('/w/a.jpg', { size: 300, mtimeMs: 1200 }, 1200)
    expect(paths(t, 1800)).toEqual([])
    t.observe('/w/a.jpg', { size: 300, mtimeMs: 1200 }, 1800)
    expect(paths(t, 2199)).toEqual([])
    expect(t.settled(2200)).toEqual([{ path: '/w/a.jpg', size: 300, mtimeMs: 1200 }])
  })

  it('a rewrite that keeps the size but moves the mtime starts the interval again', () => {
    const t = new StabilityTracker(SETTLE)
    t.observe('/w/a.jpg', { size: 100, mtimeMs: 0 }, 0)
    t.observe('/w/a.jpg', { size: 100, mtimeMs: 900 }, 900)
    expect(paths(t, 1500)).toEqual([])
    expect(paths(t, 1900)).toEqual(['/w/a.jpg'])
  })

  it('a complete file moved in with an old mtime is settled at once', () => {
    const t = new StabilityTracker(SETTLE)
    t.observe('/w/old.jpg', { size: 5, mtimeMs: 10_000 }, 50_000)
    expect(paths(t, 50_000)).toEqual(['/w/old.jpg'])
  })

  it('an mtime in the future (another clock) counts from now', () => {
    const t = new StabilityTracker(SETTLE)
    t.observe('/w/a.jpg', { size: 5, mtimeMs: 90_000 }, 50_000)
    expect(paths(t, 50_999)).toEqual([])
    expect(paths(t, 51_000)).toEqual(['/w/a.jpg'])
  })

  it('a file that is gone is forgotten; restart gives a settled file another interval', () => {
    const t = new StabilityTracker(SETTLE)
    t.observe('/w/a.jpg', { size: 5, mtimeMs: 0 }, 0)
    t.observe('/w/b.jpg', { size: 5, mtimeMs: 0 }, 0)
    t.observe('/w/a.jpg', null, 500)
    t.restart('/w/b.jpg', 1500)
    expect(t.has('/w/a.jpg')).toBe(false)
    expect(paths(t, 2000)).toEqual([])
    expect(paths(t, 2500)).toEqual(['/w/b.jpg'])
  })
})

import { describe, expect, it } from 'vitest'
import { API_REQUESTS, NOT_WATCHING, PUSH_EVENTS } from '../../src/shared/contract.ts'

describe('watch contract', () => {
  it('watch.start takes only whether to write caption files: the page cannot name a folder', () => {
    expect(API_REQUESTS['watch.start'].safeParse({}).success).toBe(true)
    expect(API_REQUESTS['watch.start'].safeParse({ writeCaptionFiles: true }).success).toBe(true)
    expect(API_REQUESTS['watch.start'].safeParse({ folder: '/home/me/Pictures' }).success).toBe(false)
    expect(API_REQUESTS['watch.start'].safeParse({ writeCaptionFiles: 'yes' }).success).toBe(false)
    expect(API_REQUESTS['watch.stop'].safeParse({ now: true }).success).toBe(false)
  })

  it('watch.settled takes image ids and whether the image failed, a batch at most, nothing else', () => {
    const settled = API_REQUESTS['watch.settled']
    expect(settled.safeParse({ items: [{ imageId: 'img-1', failed: true }] }).success).toBe(true)
    expect(settled.safeParse({ items: [] }).success).toBe(false)
    expect(settled.safeParse({ items: [{ imageId: '../x', failed: true }] }).success).toBe(false)
    expect(settled.safeParse({ items: [{ imageId: 'img-1', failed: 'yes' }] }).success).toBe(false)
    expect(settled.safeParse({ items: [{ imageId: 'img-1', failed: true, path: '/etc' }] }).success).toBe(
      false
    )
    const many = Array.from({ length: 17 }, (_, i) => ({ imageId: `img-${i}`, failed: false }))
    expect(settled.safeParse({ items: many }).success).toBe(false)
  })

  it('a watch status carries a name and counts, nothing else', () => {
    const status = { ...NOT_WATCHING, watching: true, name: 'Camera Roll', added: 3 }
    expect(PUSH_EVENTS['watch-status'].parse(status)).toEqual(status)
    expect(PUSH_EVENTS['watch-status'].safeParse({ ...status, path: '/home/me/Camera Roll' }).success).toBe(
      false
    )
    expect(PUSH_EVENTS['watch-status'].safeParse({ ...status, added: -1 }).success).toBe(false)
    expect(PUSH_EVENTS['watch-status'].safeParse({ ...status, name: 'x'.repeat(513) }).success).toBe(false)
  })
})

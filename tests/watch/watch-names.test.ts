import { describe, expect, it } from 'vitest'
import { ignoredName, ignoredPath } from '../../src/watch/watch-names.ts'

describe('watch-names: which files in a watched folder are images to describe', () => {
  it.each(['photo.jpg', 'IMG_0001.JPG', 'scan.tiff', 'shot.png', 'a.b.webp', 'clip.gif', 'x.avif'])(
    '%s is an image',
    (name) => expect(ignoredName(name)).toBeNull()
  )

  it.each([
    ['photo.jpg.part', 'still being written'],
    ['photo.jpg.crdownload', 'still being written'],
    ['photo.jpg.download', 'still being written'],
    ['photo.jpg.!sync', 'still being written'],
    ['photo.jpg.filepart', 'still being written'],
    ['photo.tmp', 'still being written'],
    ['~$photo.jpg', 'temporary'],
    ['photo.jpg~', 'temporary'],
    ['photo.jpg.sb-1a2b3c4d-AbCdEf', 'temporary'],
    ['.photo.jpg', 'hidden'],
    ['.photo.jpg.a1b2c3.tmp', 'hidden'],
    ['.photo.jpg.smolvlm-0a1b2c3d4e.jpg', 'hidden'],
    ['photo.txt', 'not an image'],
    ['photo.jpg.xmp', 'not an image'],
    ['photo.xmp', 'not an image'],
    ['results.json', 'not an image']
  ])('%s is ignored: %s', (name, reason) => expect(ignoredName(name)).toBe(reason))

  it('a subfolder counts only when recursive, and a hidden folder hides what is inside', () => {
    expect(ignoredPath('a.jpg', false)).toBeNull()
    expect(ignoredPath('sub/a.jpg', false)).toBe('in a subfolder')
    expect(ignoredPath('sub/a.jpg', true)).toBeNull()
    expect(ignoredPath('.sync/a.jpg', true)).toBe('in a hidden folder')
    expect(ignoredPath('sub\\deeper\\a.jpg', true)).toBeNull()
    expect(ignoredPath('', true)).toBe('the watched folder itself')
  })
})

import { execFileSync } from 'node:child_process'
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { expandImagePaths, fileErrorReason, imagesInFolder } from '../../src/engine/image-paths.ts'

describe('image paths', () => {
  let tmp: string
  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'smolvlm-paths-'))
    await mkdir(join(tmp, 'album/sub'), { recursive: true })
    await mkdir(join(tmp, 'album/.hidden'), { recursive: true })
    await mkdir(join(tmp, 'empty'))
    for (const name of ['img10.png', 'img2.PNG', 'Img1.jpg', 'notes.txt', '.secret.png', 'sub/a.webp'])
      await writeFile(join(tmp, 'album', name), 'x')
    await writeFile(join(tmp, 'album/.hidden/b.png'), 'x')
    await symlink(join(tmp, 'album/sub'), join(tmp, 'album/linked-folder'))
    await symlink('loop-b.png', join(tmp, 'loop-a.png'))
    await symlink('loop-a.png', join(tmp, 'loop-b.png'))
    await symlink('/dev/zero', join(tmp, 'zero.png'))
    execFileSync('mkfifo', [join(tmp, 'pipe.png')])
  })
  afterAll(() => rm(tmp, { recursive: true, force: true }))

  it('expands a folder recursively to its images in name order, skipping hidden entries and symlinked folders', async () => {
    expect(await imagesInFolder(join(tmp, 'album'))).toEqual(
      ['Img1.jpg', 'img2.PNG', 'img10.png', 'sub/a.webp'].map((name) => join(tmp, 'album', name))
    )
  })

  it('a folder walk finds HEIC/HEIF and camera RAW files by extension, any case, and not their sidecars', async () => {
    const shoot = join(tmp, 'shoot')
    await mkdir(shoot)
    const names = ['a.HEIC', 'b.heif', 'c.hif', 'd.dng', 'e.CR3', 'f.nef', 'g.ARW', 'h.raf', 'i.orf', 'j.cr2']
    for (const name of [...names, 'd.dng.xmp', 'e.xmp', 'notes.heic.txt'])
      await writeFile(join(shoot, name), 'x')
    expect(await imagesInFolder(shoot)).toEqual(names.map((name) => join(shoot, name)))
  })

  it('keeps files named explicitly, expands folders, and gives each unusable path its reason', async () => {
    const entries = await expandImagePaths([
      join(tmp, 'album/notes.txt'),
      join(tmp, 'album/sub'),
      join(tmp, 'missing.png'),
      join(tmp, 'album/notes.txt/x.png'),
      join(tmp, 'loop-a.png'),
      join(tmp, 'zero.png'),
      join(tmp, 'pipe.png'),
      join(tmp, 'empty'),
      join(tmp, 'x'.repeat(300) + '.png')
    ])
    const summary = entries.map((e) => (e.error ? `${e.error.code}: ${e.error.message}` : e.path))
    expect(summary).toEqual([
      join(tmp, 'album/notes.txt'),
      join(tmp, 'album/sub/a.webp'),
      `bad-image: ${join(tmp, 'missing.png')} does not exist.`,
      `bad-image: ${join(tmp, 'album/notes.txt/x.png')} does not exist (a part of its path is a file, not a folder).`,
      `bad-image: ${join(tmp, 'loop-a.png')} is a symlink loop (too many levels of symbolic links).`,
      `bad-image: ${join(tmp, 'zero.png')} is a character device, not an image file.`,
      `bad-image: ${join(tmp, 'pipe.png')} is a named pipe (FIFO), not an image file.`,
      expect.stringMatching(/empty is a folder with no image files in it \(\.jpg, \.png/),
      `bad-image: ${join(tmp, 'x'.repeat(300) + '.png')} has a name too long for the file system.`
    ])
  })

  it('names the reason for each errno a user meets', () => {
    const reason = (code: string) => fileErrorReason(Object.assign(new Error(code), { code }))
    expect(reason('EACCES')).toBe('cannot be opened: permission denied')
    expect(reason('EPERM')).toBe('cannot be opened: permission denied')
    expect(reason('EISDIR')).toBe('is a folder')
    expect(reason('EXDEV')).toBe('cannot be read (EXDEV)')
  })

  it('refuses a folder with more images than the limit', async () => {
    await expect(imagesInFolder(join(tmp, 'album'), { maxImages: 2 })).rejects.toMatchObject({
      code: 'bad-request',
      message: 'album holds more than 2 images; add a smaller folder.'
    })
  })
})

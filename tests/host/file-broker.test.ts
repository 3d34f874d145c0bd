import { copyFile, mkdir, readFile, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { FileBroker } from '../../src/host/file-broker.ts'
import { image } from './support/jobs.ts'
import { tempDir } from './support/temp.ts'

const brokers: FileBroker[] = []
const broker = () => {
  const b = new FileBroker()
  brokers.push(b)
  return b
}
afterEach(async () => {
  for (const b of brokers.splice(0)) await b.close()
})

describe('file broker', () => {
  it('grants a dropped image and hands out an id, a name and a size but no path', async () => {
    const refs = await broker().grantPaths([image('square.png')], 'drop')
    expect(refs).toHaveLength(1)
    expect(refs[0]).toMatchObject({ name: 'square.png', hasPath: true })
    expect(refs[0].bytes).toBeGreaterThan(0)
    expect(JSON.stringify(refs[0])).not.toContain('/')
  })

  it('resolves a granted id to its path, and refuses an id it never handed out', async () => {
    const b = broker()
    const [ref] = await b.grantPaths([image('square.png')], 'dialog')
    expect(b.resolve(ref.id).path).toBe(image('square.png'))
    expect(() => b.resolve('made-up-id')).toThrowError(expect.objectContaining({ code: 'not-granted' }))
    expect(() => b.resolve('/etc/passwd')).toThrowError(expect.objectContaining({ code: 'not-granted' }))
  })

  it('expands a dropped folder recursively to its image files only, in name order', async () => {
    const dir = await tempDir()
    await mkdir(join(dir, 'sub', 'deeper'), { recursive: true })
    await mkdir(join(dir, '.hidden'))
    await copyFile(image('square.png'), join(dir, 'img10.png'))
    await copyFile(image('square.png'), join(dir, 'img2.png'))
    await copyFile(image('large.jpg'), join(dir, 'sub', 'b.JPG'))
    await copyFile(image('wide.png'), join(dir, 'sub', 'deeper', 'c.webp'))
    await copyFile(image('square.png'), join(dir, '.hidden', 'secret.png'))
    await writeFile(join(dir, 'notes.txt'), 'not an image')
    await writeFile(join(dir, 'sub', 'script.sh'), '#!/bin/sh')
    const refs = await broker().grantPaths([dir], 'drop')
    expect(refs.map((r) => r.name)).toEqual(['img2.png', 'img10.png', 'b.JPG', 'c.webp'])
  })

  it('skips a dropped file that is not an image, and accepts an image whose name does not say so', async () => {
    const dir = await tempDir()
    await writeFile(join(dir, 'notes.txt'), 'hello')
    await copyFile(image('square.png'), join(dir, 'screenshot'))
    const refs = await broker().grantPaths(
      [join(dir, 'notes.txt'), join(dir, 'screenshot'), join(dir, 'missing.png')],
      'drop'
    )
    expect(refs.map((r) => r.name)).toEqual(['screenshot'])
  })

  it('accepts dropped HEIC and RAW files, a folder of them, and a HEIC whose name does not say so', async () => {
    const dir = await tempDir()
    const heicRaw = (name: string) => image(join('heic-raw', name))
    await copyFile(heicRaw('wide.heic'), join(dir, 'IMG_0001.HEIC'))
    await copyFile(heicRaw('preview.dng'), join(dir, 'DSC_0002.dng'))
    await copyFile(heicRaw('rotated.heic'), join(dir, 'from-phone'))
    await writeFile(join(dir, 'DSC_0002.dng.xmp'), '<x:xmpmeta/>')
    const refs = await broker().grantPaths([dir, join(dir, 'from-phone')], 'drop')
    expect(refs.map((r) => r.name)).toEqual(['DSC_0002.dng', 'IMG_0001.HEIC', 'from-phone'])
  })

  it('gives the same id when the same file is dropped again (also through a symlink)', async () => {
    const dir = await tempDir()
    await symlink(image('square.png'), join(dir, 'alias.png'))
    const b = broker()
    const [first] = await b.grantPaths([image('square.png')], 'drop')
    const [again] = await b.grantPaths([join(dir, 'alias.png')], 'drop')
    expect(again.id).toBe(first.id)
  })

  it('keeps pasted bytes as a temp file that has no user path, and deletes it on close', async () => {
    const b = new FileBroker()
    const bytes = await readFile(image('square.png'))
    const ref = await b.grantBytes('../../evil/../clip.png', bytes)
    expect(ref).toMatchObject({ name: 'clip.png', hasPath: false, bytes: bytes.byteLength })
    const path = b.resolve(ref.id).path
    expect(await readFile(path)).toEqual(bytes)
    await b.close()
    await expect(readFile(path)).rejects.toThrow()
    expect(() => b.resolve(ref.id)).toThrow()
  })

  it('refuses empty pasted bytes', async () => {
    await expect(broker().grantBytes('a.png', new Uint8Array())).rejects.toMatchObject({ code: 'bad-image' })
  })
})

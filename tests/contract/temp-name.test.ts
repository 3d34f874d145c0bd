import { describe, expect, it } from 'vitest'
import { tempNameBeside } from '../../src/shared/temp-name.ts'

const bytes = (text: string) => new TextEncoder().encode(text).length

describe('tempNameBeside', () => {
  it('keeps a short name whole', () => {
    expect(tempNameBeside('photo.txt', '.0a1b2c.tmp')).toBe('.photo.txt.0a1b2c.tmp')
    expect(tempNameBeside('photo.xmp', '.smolvlm-0a1b2c', '.xmp')).toBe('.photo.xmp.smolvlm-0a1b2c.xmp')
  })

  it('shortens a long name to 255 bytes, keeping the tag and the extension', () => {
    const name = `${'a'.repeat(246)}.txt`
    const temp = tempNameBeside(name, '.0a1b2c3d4e5f.tmp')
    expect(bytes(temp)).toBe(255)
    expect(temp.startsWith('.aaaa')).toBe(true)
    expect(temp.endsWith('.0a1b2c3d4e5f.tmp')).toBe(true)
  })

  it('never cuts a character in half', () => {
    const name = `${'é'.repeat(120)}.txt`
    const temp = tempNameBeside(name, '.smolvlm-0a1b2c3d4e', '.txt')
    expect(bytes(temp)).toBeLessThanOrEqual(255)
    expect(temp).toMatch(/^\.é+\.smolvlm-0a1b2c3d4e\.txt$/)
  })
})

import { describe, expect, it } from 'vitest'
import { SidecarClaims } from '../../src/shared/sidecar-claims.ts'

describe('SidecarClaims', () => {
  it('gives a sidecar to the first image that claims it, names that image to any other, lets it claim again', () => {
    const claims = new SidecarClaims()
    expect(claims.claim('/p/photo.txt', '/p/photo.nef')).toBeUndefined()
    expect(claims.claim('/p/photo.txt', '/p/photo.jpg')).toBe('/p/photo.nef')
    expect(claims.claim('/p/photo.txt', '/p/photo.nef')).toBeUndefined()
    expect(claims.claim('/p/other.txt', '/p/photo.jpg')).toBeUndefined()
  })
})

import { describe, expect, it } from 'vitest'
import { AppOrigin } from '../../src/main/security.ts'

describe('IPC sender check (the app page only)', () => {
  const built = AppOrigin.file('/opt/SmolVLM/resources/app/out/renderer/index.html')
  const dev = AppOrigin.devServer('http://localhost:5173/')

  it.each([
    ['file:///opt/SmolVLM/resources/app/out/renderer/index.html', true],
    ['file:///opt/SmolVLM/resources/app/out/renderer/index.html#/settings', true],
    ['file:///opt/SmolVLM/resources/app/out/renderer/index.html.evil', false],
    ['file:///opt/SmolVLM/resources/app/out/renderer/other.html', false],
    ['file://attacker/opt/SmolVLM/resources/app/out/renderer/index.html', false],
    ['https://example.com/opt/SmolVLM/resources/app/out/renderer/index.html', false],
    ['not a url', false]
  ])('built app: %s → %s', (url, trusted) => {
    expect(built.isAppUrl(url)).toBe(trusted)
  })

  it.each([
    ['http://localhost:5173/', true],
    ['http://localhost:5173/src/main.tsx', true],
    ['http://localhost:5173.evil.com/', false],
    ['http://localhost:5174/', false],
    ['https://localhost:5173/', false]
  ])('dev server: %s → %s', (url, trusted) => {
    expect(dev.isAppUrl(url)).toBe(trusted)
  })

  it('trusts only the top frame', () => {
    const top = { parent: null, url: 'http://localhost:5173/' }
    const sub = { parent: top, url: 'http://localhost:5173/' }
    expect(dev.isTrustedFrame(top as never)).toBe(true)
    expect(dev.isTrustedFrame(sub as never)).toBe(false)
    expect(dev.isTrustedFrame(null)).toBe(false)
  })
})

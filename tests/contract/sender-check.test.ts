import { describe, expect, it } from 'vitest'
import { AppOrigin } from '../../src/main/security.ts'

describe('IPC sender check (the app page only)', () => {
  const built = AppOrigin.app()
  const dev = AppOrigin.devServer('http://localhost:5173/')

  it.each([
    ['app://smolvlm/index.html', true],
    ['app://smolvlm/', true],
    ['app://smolvlm/index.html#/settings', true],
    ['app://smolvlm/index.html.evil', false],
    ['app://smolvlm/other.html', false],
    ['app://smolvlm/assets/index.js', false],
    ['app://smolvlm.evil/index.html', false],
    ['app://evil/index.html', false],
    ['app://user@smolvlm/index.html', false],
    ['file:///opt/SmolVLM/resources/app.asar/out/renderer/index.html', false],
    ['https://smolvlm/index.html', false],
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

  it('the page URL the window loads is one it trusts', () => {
    expect(built.pageUrl).toBe('app://smolvlm/index.html')
    expect(built.isAppUrl(built.pageUrl)).toBe(true)
    expect(built.isDevServer).toBe(false)
  })

  it.each([
    ['app://smolvlm', true],
    ['app://smolvlm/assets/index.js', true],
    ['app://other', false],
    ['file:///', false],
    ['null', false]
  ])('permission checks: origin %s → %s', (requestingOrigin, trusted) => {
    expect(built.isAppOrigin(requestingOrigin)).toBe(trusted)
  })

  it('trusts only the top frame', () => {
    const top = { parent: null, url: 'http://localhost:5173/' }
    const sub = { parent: top, url: 'http://localhost:5173/' }
    expect(dev.isTrustedFrame(top as never)).toBe(true)
    expect(dev.isTrustedFrame(sub as never)).toBe(false)
    expect(dev.isTrustedFrame(null)).toBe(false)
    expect(built.isTrustedFrame({ parent: null, url: 'app://smolvlm/index.html' })).toBe(true)
    expect(built.isTrustedFrame({ parent: {}, url: 'app://smolvlm/index.html' })).toBe(false)
  })
})

/**
 * The Content Security Policy in both builds. The built app keeps the strict policy with no inline script or
 * style. `npm run dev` needs React Fast Refresh's inline preamble and Vite's injected <style> elements: the dev
 * server (and only it) serves DEV_RENDERER_CSP, which main also sends as the dev page's header (set on the dev
 * server here, since no Electron runs in this test).
 */
import { readFile } from 'node:fs/promises'
import { createServer as createNetServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { resolveConfig } from 'electron-vite'
import type { Browser } from 'playwright-core'
import { createServer } from 'vite'
import type { InlineConfig, ViteDevServer } from 'vite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEV_RENDERER_CSP, RENDERER_CSP } from '../../src/shared/csp.ts'
import { BUILT_RENDERER, REPO_ROOT } from '../ui-bridge/bridge.ts'
import { ensureRendererBuilt } from '../ui-bridge/build-renderer.ts'
import { launchChromium } from '../ui-bridge/chromium.ts'

/** A port nobody listens on now (the dev client connects its HMR socket to the configured port). */
async function freePort(): Promise<number> {
  const probe = createNetServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const { port } = probe.address() as AddressInfo
  await new Promise((resolve) => probe.close(resolve))
  return port
}

describe('content security policy', () => {
  it('keeps the built index.html strict: the policy, external files only, nothing inline', async () => {
    await ensureRendererBuilt()
    const html = await readFile(join(BUILT_RENDERER, 'index.html'), 'utf8')
    expect(html).toContain(`content="${RENDERER_CSP}"`)
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/)
    expect(html).not.toMatch(/<style|\sstyle=/)
    expect(DEV_RENDERER_CSP).toBe(
      RENDERER_CSP.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'").replace(
        "style-src 'self'",
        "style-src 'self' 'unsafe-inline'"
      )
    )
  })

  describe('the dev server (npm run dev)', () => {
    let server: ViteDevServer
    let browser: Browser

    beforeAll(async () => {
      const config = await resolveConfig({ root: REPO_ROOT, logLevel: 'silent' }, 'serve', 'development')
      const renderer = config.config?.renderer as InlineConfig
      server = await createServer({
        ...renderer,
        logLevel: 'silent',
        // The header Electron's main process adds to the dev server's responses (src/main/security.ts).
        server: {
          port: await freePort(),
          strictPort: true,
          headers: { 'content-security-policy': DEV_RENDERER_CSP }
        }
      })
      await server.listen()
      browser = await launchChromium()
    })

    afterAll(async () => {
      await browser?.close()
      await server?.close()
    })

    it('serves the dev policy and runs the app under it without a violation', async () => {
      const address = server.httpServer!.address() as { port: number }
      const url = `http://localhost:${address.port}/`
      const page = await browser.newPage()
      const violations: string[] = []
      page.on('console', (message) => {
        // The browser's own favicon request is not the app's business.
        if (message.type() === 'error' && !message.location().url.endsWith('/favicon.ico'))
          violations.push(message.text())
      })
      await page.addInitScript(() => {
        document.addEventListener('securitypolicyviolation', (event) =>
          console.error(
            `CSP violation: ${event.violatedDirective} ${event.blockedURI} ${event.sourceFile}:${event.lineNumber} ${event.sample}`
          )
        )
      })
      const response = await page.goto(url)
      expect(response?.headers()['content-security-policy']).toBe(DEV_RENDERER_CSP)
      expect(await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content')).toBe(
        DEV_RENDERER_CSP
      )
      // Without window.smolvlm the app says where it belongs: React rendered it, and the CSS (injected as <style> in dev) applies.
      await page.getByText('This page runs inside the SmolVLM Desktop app').waitFor()
      await expect(page.evaluate(() => getComputedStyle(document.body).backgroundColor)).resolves.toBe(
        'rgb(243, 244, 247)'
      )
      expect(violations).toEqual([])
    })
  })
})

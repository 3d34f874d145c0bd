import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  APP_PAGE_URL,
  APP_SCHEME_PRIVILEGES,
  contentTypeOf,
  rendererFileFor,
  serveAppRequest
} from '../../src/host/app-protocol.ts'
import { RENDERER_CSP } from '../../src/shared/csp.ts'
import { tempDir } from './support/temp.ts'

/**
 * The app:// protocol handler (checklist 18) on a real folder laid out like out/ : the renderer folder with
 * index.html and assets, and secrets beside it that no URL may reach.
 */
let base = ''
let renderer = ''

beforeAll(async () => {
  base = await tempDir()
  renderer = join(base, 'renderer')
  await mkdir(join(renderer, 'assets'), { recursive: true })
  await writeFile(join(renderer, 'index.html'), '<!doctype html><title>app</title>')
  await writeFile(join(renderer, 'assets', 'index-abc.js'), 'console.log(1)')
  await writeFile(join(renderer, 'assets', 'index-abc.css'), 'body{}')
  await writeFile(join(renderer, 'assets', 'odd name.png'), 'png')
  await writeFile(join(base, 'secret.txt'), 'secret')
  await mkdir(join(base, 'renderer-evil'), { recursive: true })
  await writeFile(join(base, 'renderer-evil', 'index.html'), 'evil')
})

const get = (url: string, method = 'GET') => serveAppRequest({ url, method }, { rendererDir: renderer })

describe('app:// protocol (the built renderer, checklist 18)', () => {
  it('serves the page at app://smolvlm/index.html and at app://smolvlm/', async () => {
    expect(APP_PAGE_URL).toBe('app://smolvlm/index.html')
    for (const url of [
      'app://smolvlm/index.html',
      'app://smolvlm/',
      'app://smolvlm/index.html?x=1#/settings'
    ]) {
      const response = await get(url)
      expect(response.status).toBe(200)
      expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8')
      expect(await response.text()).toBe('<!doctype html><title>app</title>')
    }
  })

  it('serves assets with their content types, percent-encoded names decoded once', async () => {
    const js = await get('app://smolvlm/assets/index-abc.js')
    expect(js.status).toBe(200)
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8')
    expect(await js.text()).toBe('console.log(1)')
    expect((await get('app://smolvlm/assets/index-abc.css')).headers.get('content-type')).toBe(
      'text/css; charset=utf-8'
    )
    const png = await get('app://smolvlm/assets/odd%20name.png')
    expect(png.status).toBe(200)
    expect(png.headers.get('content-type')).toBe('image/png')
    expect(contentTypeOf('x.bin')).toBe('application/octet-stream')
  })

  it.each([
    'app://smolvlm/../secret.txt',
    'app://smolvlm/%2e%2e/secret.txt',
    'app://smolvlm/assets/%2e%2e%2f%2e%2e%2fsecret.txt',
    'app://smolvlm/..%2fsecret.txt',
    'app://smolvlm/..%5csecret.txt',
    'app://smolvlm/assets%5c..%5c..%5csecret.txt',
    'app://smolvlm/%2e%2e/renderer-evil/index.html',
    'app://smolvlm/index.html%00.png',
    'app://smolvlm/%E0%A4%A',
    'app://smolvlm//etc/passwd',
    'app://other/index.html',
    'app://user:pass@smolvlm/index.html',
    'file:///etc/passwd',
    'https://smolvlm/index.html',
    'not a url'
  ])('refuses %s: nothing outside the renderer folder, no other host', async (url) => {
    const file = rendererFileFor(url, renderer)
    if (file !== null) {
      // The URL parser may have resolved the dots itself; then the file must still be inside the folder.
      expect(file.startsWith(join(renderer, '/'))).toBe(true)
    }
    const response = await get(url)
    expect(await response.text()).not.toMatch(/secret|evil/)
    if (file === null) expect(response.status).toBe(404)
  })

  it('answers 404 for a missing file and for a folder', async () => {
    expect((await get('app://smolvlm/nope.js')).status).toBe(404)
    expect((await get('app://smolvlm/assets')).status).toBe(404)
    expect((await get('app://smolvlm/assets/')).status).toBe(404)
  })

  it('answers only GET and HEAD; HEAD without a body', async () => {
    const post = await get('app://smolvlm/index.html', 'POST')
    expect(post.status).toBe(405)
    expect(post.headers.get('allow')).toBe('GET, HEAD')
    const head = await get('app://smolvlm/index.html', 'HEAD')
    expect(head.status).toBe(200)
    expect(await head.text()).toBe('')
  })

  it('puts the renderer CSP and nosniff on every response, errors included', async () => {
    const responses = await Promise.all([
      get('app://smolvlm/index.html'),
      get('app://smolvlm/assets/index-abc.js'),
      get('app://smolvlm/nope.js'),
      get('app://smolvlm/../secret.txt'),
      get('app://smolvlm/index.html', 'PUT')
    ])
    for (const response of responses) {
      expect(response.headers.get('content-security-policy')).toBe(RENDERER_CSP)
      expect(response.headers.get('x-content-type-options')).toBe('nosniff')
    }
  })

  it('registers the scheme as standard and secure, without bypassing the CSP or opening CORS', () => {
    expect(APP_SCHEME_PRIVILEGES).toMatchObject({
      standard: true,
      secure: true,
      bypassCSP: false,
      corsEnabled: false,
      allowServiceWorkers: false
    })
  })
})

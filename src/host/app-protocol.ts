import { readFile } from 'node:fs/promises'
import { extname, isAbsolute, relative, resolve, sep } from 'node:path'
import { RENDERER_CSP } from '../shared/csp.ts'

/**
 * The app:// protocol that serves the built renderer (Electron security checklist 18: a custom protocol instead of
 * file://). Main registers the scheme as privileged before `ready` and hands every request to `serveAppRequest`
 * through `protocol.handle`; this module holds the rules and runs without Electron (tests/host/app-protocol.test.ts).
 *
 * - One host, app://smolvlm/: the page is a standard, secure origin of its own, so 'self' in the CSP means the
 *   renderer's files and nothing on disk besides them.
 * - Paths are confined to the renderer folder: decoded once, no "..", no backslashes, no NUL, and the joined path
 *   must still lie inside the folder; anything else is a 404.
 * - Every response, errors included, carries the renderer's Content-Security-Policy and nosniff.
 */
export const APP_SCHEME = 'app'
export const APP_HOST = 'smolvlm'
export const APP_PAGE_URL = `${APP_SCHEME}://${APP_HOST}/index.html`

/**
 * The scheme's privileges (Electron's CustomScheme["privileges"]): standard (a real origin, relative URLs) and
 * secure (a secure context, like https), so ES modules and fetch of the app's own files work (same origin). It
 * does not bypass the CSP and allows no service workers. It is not `corsEnabled`: that privilege would let other
 * origins read app:// responses (Electron serves custom schemes without checking Access-Control-Allow-Origin).
 */
export const APP_SCHEME_PRIVILEGES = {
  standard: true,
  secure: true,
  supportFetchAPI: true,
  codeCache: true,
  bypassCSP: false,
  corsEnabled: false,
  allowServiceWorkers: false,
  stream: false
} as const

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.wasm': 'application/wasm',
  '.ttf': 'font/ttf',
  '.map': 'application/json',
  '.txt': 'text/plain; charset=utf-8'
}

/** Headers on every app:// response. */
export const APP_RESPONSE_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': RENDERER_CSP,
  'X-Content-Type-Options': 'nosniff',
  'Cache-Control': 'no-cache'
}

/** The Content-Type of a file of the built renderer (also what the browser test bridge serves). */
export function contentTypeOf(path: string): string {
  return CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream'
}

/**
 * The file under `rendererDir` that `url` names, or null when the URL is not the app's or would leave the folder.
 * "app://smolvlm/" is index.html.
 */
export function rendererFileFor(url: string, rendererDir: string): string | null {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return null
  }
  if (parsed.protocol !== `${APP_SCHEME}:` || parsed.host !== APP_HOST) return null
  if (parsed.username !== '' || parsed.password !== '') return null
  let path: string
  try {
    path = decodeURIComponent(parsed.pathname)
  } catch {
    return null // malformed percent-encoding
  }
  if (path.includes('\0') || path.includes('\\')) return null
  const segments = path.split('/').filter((segment) => segment !== '')
  if (segments.some((segment) => segment === '..' || segment === '.')) return null
  if (segments.length === 0) segments.push('index.html')
  const root = resolve(rendererDir)
  const file = resolve(root, ...segments)
  const inside = relative(root, file)
  if (inside === '' || inside.startsWith(`..${sep}`) || inside === '..' || isAbsolute(inside)) return null
  return file
}

export interface AppRequest {
  readonly url: string
  readonly method: string
}

function plain(status: number, text: string, extra: Record<string, string> = {}): Response {
  return new Response(text, {
    status,
    headers: { ...APP_RESPONSE_HEADERS, 'Content-Type': 'text/plain; charset=utf-8', ...extra }
  })
}

/**
 * Answers one app:// request: the renderer file with its content type, 404 for anything outside the folder or
 * missing, 405 for methods other than GET and HEAD. `read` is injectable for tests (default: fs readFile, which in
 * Electron also reads inside app.asar).
 */
export async function serveAppRequest(
  request: AppRequest,
  options: { readonly rendererDir: string; readonly read?: (path: string) => Promise<Uint8Array> }
): Promise<Response> {
  if (request.method !== 'GET' && request.method !== 'HEAD')
    return plain(405, 'Method not allowed.', { Allow: 'GET, HEAD' })
  const file = rendererFileFor(request.url, options.rendererDir)
  if (!file) return plain(404, 'Not found.')
  let body: Uint8Array
  try {
    body = await (options.read ?? readFile)(file)
  } catch {
    return plain(404, 'Not found.') // missing, a folder, unreadable
  }
  return new Response(request.method === 'HEAD' ? null : new Uint8Array(body), {
    status: 200,
    headers: { ...APP_RESPONSE_HEADERS, 'Content-Type': contentTypeOf(file) }
  })
}

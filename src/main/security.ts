import { pathToFileURL } from 'node:url'
import type { Session, WebContents, WebFrameMain } from 'electron'
import { DEV_RENDERER_CSP, RENDERER_CSP } from '../shared/csp.ts'

/**
 * Where the app's own page lives: the dev server's origin (electron-vite dev) or the built index.html.
 * Everything else (another origin, another file, a subframe) is not the app.
 */
export class AppOrigin {
  private constructor(
    readonly pageUrl: string,
    private readonly devOrigin: string | null,
    private readonly filePath: string | null
  ) {}

  /** True for the development server (electron-vite dev), whose page gets the dev CSP. */
  get isDevServer(): boolean {
    return this.devOrigin !== null
  }

  static devServer(url: string): AppOrigin {
    return new AppOrigin(url, new URL(url).origin, null)
  }

  static file(indexHtml: string): AppOrigin {
    const url = pathToFileURL(indexHtml)
    return new AppOrigin(url.href, null, url.pathname)
  }

  /** Compares parsed URLs (never string prefixes: "file:///app/index.html.evil" must not pass). */
  isAppUrl(raw: string): boolean {
    let url: URL
    try {
      url = new URL(raw)
    } catch {
      return false
    }
    if (this.devOrigin !== null) return url.origin === this.devOrigin
    return url.protocol === 'file:' && url.host === '' && url.pathname === this.filePath
  }

  /** IPC sender check (checklist §17): the app page's top frame, nothing else. */
  isTrustedFrame(frame: WebFrameMain | null | undefined): boolean {
    if (!frame || frame.parent !== null) return false
    return this.isAppUrl(frame.url)
  }
}

/** Permissions the page may have: writing captions to the clipboard. Everything else is denied. */
const ALLOWED_PERMISSIONS = new Set(['clipboard-sanitized-write'])

/** Session-wide rules: the permission gate (§5 of the checklist) and, for http-served pages (dev), the CSP header (§7). */
export function secureSession(session: Session, origin: AppOrigin): void {
  session.setPermissionRequestHandler((contents, permission, callback, details) => {
    callback(
      ALLOWED_PERMISSIONS.has(permission) && origin.isAppUrl(details.requestingUrl ?? contents.getURL())
    )
  })
  session.setPermissionCheckHandler((_contents, permission, requestingOrigin) => {
    return (
      ALLOWED_PERMISSIONS.has(permission) &&
      (origin.isAppUrl(requestingOrigin) || requestingOrigin === 'file:///')
    )
  })
  // No device pickers (USB, HID, serial, Bluetooth) for anyone.
  session.setDevicePermissionHandler(() => false)
  session.webRequest.onHeadersReceived((details, callback) => {
    const isHttp = details.url.startsWith('http:') || details.url.startsWith('https:')
    if (!isHttp) {
      callback({})
      return
    }
    const policy = origin.isDevServer ? DEV_RENDERER_CSP : RENDERER_CSP
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [policy] } })
  })
}

/**
 * Rules for every web contents the app creates (checklist §13, §14, §12): no navigation away from the app page,
 * no new windows, no <webview>.
 */
export function hardenContents(contents: WebContents, origin: AppOrigin): void {
  contents.on('will-navigate', (event, url) => {
    if (!origin.isAppUrl(url)) event.preventDefault()
  })
  contents.on('will-redirect', (event, url) => {
    if (!origin.isAppUrl(url)) event.preventDefault()
  })
  contents.on('will-attach-webview', (event) => event.preventDefault())
  contents.setWindowOpenHandler(() => ({ action: 'deny' }))
}

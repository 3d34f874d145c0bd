import type { Session, WebContents } from 'electron'
import { AppOrigin } from '../host/app-origin.ts'
import { DEV_RENDERER_CSP, RENDERER_CSP } from '../shared/csp.ts'

// The origin rules live in src/host (no Electron there, so they are unit-tested); main uses them from here.
export { AppOrigin }

/** Permissions the page may have: writing captions to the clipboard. Everything else is denied. */
const ALLOWED_PERMISSIONS = new Set(['clipboard-sanitized-write'])

/**
 * Session-wide rules: the permission gate (§5 of the checklist) and, for http-served pages (dev), the CSP header
 * (§7). The built page's app:// responses carry the header from the protocol handler (src/host/app-protocol.ts).
 */
export function secureSession(session: Session, origin: AppOrigin): void {
  session.setPermissionRequestHandler((contents, permission, callback, details) => {
    callback(
      ALLOWED_PERMISSIONS.has(permission) && origin.isAppUrl(details.requestingUrl ?? contents.getURL())
    )
  })
  session.setPermissionCheckHandler((_contents, permission, requestingOrigin) => {
    return ALLOWED_PERMISSIONS.has(permission) && origin.isAppOrigin(requestingOrigin)
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

import { APP_HOST, APP_PAGE_URL, APP_SCHEME } from './app-protocol.ts'

/** What the checks need of Electron's WebFrameMain (kept structural so this module runs without Electron). */
export interface FrameLike {
  readonly parent: unknown
  readonly url: string
}

function parse(raw: string): URL | null {
  try {
    return new URL(raw)
  } catch {
    return null
  }
}

/**
 * Where the app's own page lives: the dev server's origin (electron-vite dev) or app://smolvlm/index.html, the
 * built renderer served by the app protocol (checklist 18: a privileged custom scheme, not file://). Everything
 * else (another origin, another page of the app scheme, a subframe) is not the app.
 */
export class AppOrigin {
  private constructor(
    readonly pageUrl: string,
    private readonly devOrigin: string | null
  ) {}

  /** True for the development server (electron-vite dev), whose page gets the dev CSP. */
  get isDevServer(): boolean {
    return this.devOrigin !== null
  }

  static devServer(url: string): AppOrigin {
    return new AppOrigin(url, new URL(url).origin)
  }

  /** The built renderer, served at app://smolvlm/ (src/host/app-protocol.ts). */
  static app(): AppOrigin {
    return new AppOrigin(APP_PAGE_URL, null)
  }

  /**
   * Whether `raw` is on the app's origin: the dev server's, or app://smolvlm. Compares parsed URLs (never string
   * prefixes: "http://localhost:5173.evil.com" must not pass). WHATWG URLs give non-special schemes the origin
   * "null", so the app scheme is compared by protocol and host.
   */
  isAppOrigin(raw: string): boolean {
    const url = parse(raw)
    if (!url) return false
    if (this.devOrigin !== null) return url.origin === this.devOrigin
    return (
      url.protocol === `${APP_SCHEME}:` && url.host === APP_HOST && url.username === '' && url.password === ''
    )
  }

  /** Whether `raw` is the app page itself (any query or fragment): navigation and IPC senders. */
  isAppUrl(raw: string): boolean {
    if (!this.isAppOrigin(raw)) return false
    if (this.devOrigin !== null) return true
    const { pathname } = new URL(raw)
    return pathname === '/' || pathname === '/index.html'
  }

  /** IPC sender check (checklist §17): the app page's top frame, nothing else. */
  isTrustedFrame(frame: FrameLike | null | undefined): boolean {
    if (!frame || frame.parent !== null) return false
    return this.isAppUrl(frame.url)
  }
}

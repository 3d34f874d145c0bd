import { protocol } from 'electron'
import type { Session } from 'electron'
import { APP_SCHEME, APP_SCHEME_PRIVILEGES, serveAppRequest } from '../host/app-protocol.ts'

/** Before `ready` (Electron accepts it only then): app:// becomes a standard, secure scheme (checklist 18). */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { ...APP_SCHEME_PRIVILEGES } }])
}

/** After `ready`: the window's session serves the built renderer folder at app://smolvlm/ (src/host/app-protocol.ts). */
export function serveRenderer(session: Session, rendererDir: string): void {
  session.protocol.handle(APP_SCHEME, (request) => serveAppRequest(request, { rendererDir }))
}

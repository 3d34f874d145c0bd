/**
 * The renderer's Content Security Policy: the same string as the <meta> in src/renderer/index.html (a test
 * keeps them equal), also sent as a header where the page is served over http (the dev server, the browser
 * test bridge). Scripts only from the app itself; images may be data:/blob: URLs (thumbnails, pastes).
 */
export const RENDERER_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'"

/**
 * The development server's policy (`npm run dev` only; the built app never uses it). React Fast Refresh needs
 * an inline module script (@vitejs/plugin-react's preamble) and Vite's dev server applies imported CSS as <style>
 * elements, so this adds 'unsafe-inline' to script-src and style-src and changes nothing else. electron-vite's
 * config puts it in the served index.html (transformIndexHtml, serve only) and main sends it as the dev page's
 * header (security.ts).
 */
export const DEV_RENDERER_CSP = RENDERER_CSP.replace(
  "script-src 'self'",
  "script-src 'self' 'unsafe-inline'"
).replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")

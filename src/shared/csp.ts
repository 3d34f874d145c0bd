/**
 * The renderer's Content Security Policy: the same string as the <meta> in src/renderer/index.html (a test
 * keeps them equal), also sent as a header where the page is served over http (the dev server, the browser
 * test bridge). Scripts only from the app itself; images may be data:/blob: URLs (thumbnails, pastes).
 */
export const RENDERER_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'"

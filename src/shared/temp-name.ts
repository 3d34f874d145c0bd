/**
 * The name of a hidden temporary file beside `name` (a file name, no folder), for writes that rename into place:
 * `.name<tag><ext>`, with `name` shortened where the whole would pass 255 bytes, the longest file name most file
 * systems take (an image named with 240 bytes could otherwise never get its caption file or sidecar).
 */
const NAME_MAX_BYTES = 255

export function tempNameBeside(name: string, tag: string, ext = ''): string {
  const encoder = new TextEncoder()
  const room = NAME_MAX_BYTES - encoder.encode(`.${tag}${ext}`).length
  let kept = name
  // By code points, so a character is never cut in half.
  while (encoder.encode(kept).length > room) kept = Array.from(kept).slice(0, -1).join('')
  return `.${kept}${tag}${ext}`
}

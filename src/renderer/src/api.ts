/**
 * The app behind the page: `window.smolvlm` (the preload in Electron, the test bridge in a browser). The
 * renderer talks to nothing else.
 */
import type { SmolvlmApi } from '../../shared/api.ts'

export function getApi(): SmolvlmApi | null {
  return (window as { smolvlm?: SmolvlmApi }).smolvlm ?? null
}

/** The sentence of a rejected call (the preload and the bridge reject with the host's human message). */
export function errorMessage(error: unknown): string {
  if (error instanceof Error && error.message) return error.message
  if (typeof error === 'string' && error) return error
  return 'Something went wrong.'
}

/**
 * The engine's named failure outcomes. Every failure that a user can cause (a bad file, a broken model
 * folder, a cancelled job) surfaces as a SmolvlmError with one of these codes and a sentence a person can
 * act on; anything else is a bug.
 */
export const ENGINE_ERROR_CODES = [
  'bad-image',
  'image-too-large',
  'model-missing',
  'model-corrupt',
  'bad-request',
  'out-of-memory',
  'cancelled',
  'download-failed',
  'internal'
] as const

export type EngineErrorCode = (typeof ENGINE_ERROR_CODES)[number]

export class SmolvlmError extends Error {
  readonly code: EngineErrorCode

  constructor(code: EngineErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'SmolvlmError'
    this.code = code
  }
}

export function isSmolvlmError(value: unknown): value is SmolvlmError {
  return value instanceof SmolvlmError
}

import { z } from 'zod'
import { LIMITS } from './limits.ts'

/**
 * The engine's codes (src/engine/errors.ts; a contract test keeps the two lists equal) plus the app's own:
 * the worker died under a job, a renderer named an image it was never given, a message failed its schema,
 * an operation needed a loaded model.
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

export const APP_ERROR_CODES = [
  'worker-crashed',
  'not-granted',
  'invalid-message',
  'model-not-loaded'
] as const

export const ERROR_CODES = [...ENGINE_ERROR_CODES, ...APP_ERROR_CODES] as const
export type ErrorCode = (typeof ERROR_CODES)[number]

export const ErrorCodeSchema = z.enum(ERROR_CODES)

/** A failure as it travels: a code the UI can branch on and a sentence it can show. */
export const ErrorInfoSchema = z.strictObject({
  code: ErrorCodeSchema,
  message: z.string().max(LIMITS.errorMessageChars)
})
export type ErrorInfo = z.infer<typeof ErrorInfoSchema>

/** Thrown by the host (and rethrown by clients) when an operation fails with a typed outcome. */
export class AppError extends Error {
  readonly code: ErrorCode

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'AppError'
    this.code = code
  }

  toInfo(): ErrorInfo {
    return { code: this.code, message: boundMessage(this.message) }
  }
}

export function boundMessage(message: string): string {
  return message.length <= LIMITS.errorMessageChars
    ? message
    : `${message.slice(0, LIMITS.errorMessageChars - 1)}…`
}

function hasCode(value: unknown): value is { code: unknown; message: unknown } {
  return typeof value === 'object' && value !== null && 'code' in value && 'message' in value
}

/**
 * Any thrown value as an ErrorInfo: typed errors (AppError, the engine's SmolvlmError, anything with a known
 * `code`) keep their code; everything else is 'internal', since it is a bug rather than a user's mistake.
 */
export function toErrorInfo(error: unknown, fallback: ErrorCode = 'internal'): ErrorInfo {
  if (hasCode(error) && typeof error.message === 'string') {
    const code = ErrorCodeSchema.safeParse(error.code)
    if (code.success) return { code: code.data, message: boundMessage(error.message) }
  }
  const message = error instanceof Error ? error.message : String(error)
  return { code: fallback, message: boundMessage(message || 'Something went wrong.') }
}

/** A zod failure as one sentence naming where the message was wrong (at most three problems). */
export function describeIssues(error: z.ZodError, what = 'message'): string {
  const parts = error.issues.slice(0, 3).map((issue) => {
    const where = issue.path.length > 0 ? issue.path.map(String).join('.') : 'the value'
    return `${where}: ${issue.message}`
  })
  const more = error.issues.length > 3 ? ` (and ${error.issues.length - 3} more)` : ''
  return boundMessage(`Invalid ${what}: ${parts.join('; ')}${more}.`)
}

/** Parses `value` with `schema` or throws an AppError('invalid-message') that says what was wrong. */
export function parseMessage<S extends z.ZodType>(schema: S, value: unknown, what?: string): z.infer<S> {
  const result = schema.safeParse(value)
  if (!result.success) throw new AppError('invalid-message', describeIssues(result.error, what))
  return result.data
}

/** A mistake in the command line: printed as one line plus the usage, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError'
}

/** One of the allowed words for an option, or the fallback when it is absent; anything else is a usage error. */
export function choice<T extends string>(
  value: string | undefined,
  name: string,
  allowed: readonly T[],
  fallback: T
): T {
  if (value === undefined) return fallback
  if (!(allowed as readonly string[]).includes(value))
    throw new UsageError(`--${name} ${value} is not valid: give ${allowed.join(', ')}.`)
  return value as T
}

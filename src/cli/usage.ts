/** A mistake in the command line: printed as one line plus the usage, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError'
}

export interface RestartPolicyOptions {
  /** Delay before the first restart after a crash. */
  readonly baseDelayMs: number
  /** The delay doubles (factor) with each crash in a row, up to this. */
  readonly maxDelayMs: number
  readonly factor: number
  /** More crashes than this within windowMs: stop restarting (a crash loop) until something asks for the worker again. */
  readonly maxCrashes: number
  readonly windowMs: number
  /** A worker that ran this long before crashing counts as having been healthy: its crash starts the back-off over. */
  readonly stableMs: number
}

export const DEFAULT_RESTART_POLICY: RestartPolicyOptions = {
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  factor: 2,
  maxCrashes: 5,
  windowMs: 120_000,
  stableMs: 60_000
}

export type RestartDecision =
  | { readonly restart: true; readonly delayMs: number; readonly attempt: number }
  | { readonly restart: false; readonly crashes: number }

/**
 * When to restart a crashed worker: at once-ish, then backing off exponentially while it keeps crashing, and not
 * at all once it crashes more than maxCrashes times in windowMs (something is wrong that a restart won't fix).
 * A finished job or a long healthy run resets it. Pure apart from the injected clock, so it is unit-tested.
 */
export class RestartPolicy {
  private readonly options: RestartPolicyOptions
  private crashTimes: number[] = []
  private consecutive = 0

  constructor(
    options: Partial<RestartPolicyOptions> = {},
    private readonly now: () => number = Date.now
  ) {
    this.options = { ...DEFAULT_RESTART_POLICY, ...options }
  }

  onCrash(uptimeMs: number): RestartDecision {
    const { baseDelayMs, maxDelayMs, factor, maxCrashes, windowMs, stableMs } = this.options
    const time = this.now()
    if (uptimeMs >= stableMs) this.consecutive = 0
    this.crashTimes = this.crashTimes.filter((t) => time - t < windowMs)
    this.crashTimes.push(time)
    if (this.crashTimes.length > maxCrashes) return { restart: false, crashes: this.crashTimes.length }
    this.consecutive += 1
    const delayMs = Math.min(maxDelayMs, baseDelayMs * factor ** (this.consecutive - 1))
    return { restart: true, delayMs, attempt: this.consecutive }
  }

  /** The worker did useful work: forget earlier crashes. */
  onHealthy(): void {
    this.reset()
  }

  reset(): void {
    this.crashTimes = []
    this.consecutive = 0
  }
}

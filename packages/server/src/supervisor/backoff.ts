/** Exponential backoff between restarts: `initialMs · factor^(attempt−1)`, capped at `maxMs`. */
export interface BackoffOptions {
  /** Delay before the first restart. @default 1000 */
  initialMs: number
  /** Largest delay. @default 30000 */
  maxMs: number
  /** Growth per consecutive failure. @default 2 */
  factor: number
}

/**
 * The backoff used when none is given: 1 s, 2 s, 4 s … up to 30 s.
 * @example backoffDelay(3, DEFAULT_BACKOFF) // 4000
 */
export const DEFAULT_BACKOFF: Readonly<BackoffOptions> = Object.freeze({ initialMs: 1000, maxMs: 30_000, factor: 2 })

/**
 * The delay before restart number `attempt` (1-based, counted since the last stable period).
 * @example backoffDelay(1, { initialMs: 500, maxMs: 8000, factor: 2 }) // 500
 */
export function backoffDelay(attempt: number, options: BackoffOptions): number {
  const exponent = Math.max(0, attempt - 1)
  return Math.min(options.maxMs, Math.round(options.initialMs * options.factor ** exponent))
}

import { invalid } from './invalid.js'

/** Time limits of one call, in milliseconds; `0` means no limit. */
export interface Timeouts {
  /** Limit for one HTTP attempt, from sending the request to reading the whole body. */
  attempt: number
  /** Limit for the whole call, retries and their waits included. */
  total: number
}

/**
 * A time limit, as an option: a number is the whole call's limit in ms; `0` or `false` turns every limit off;
 * the object form sets each limit (`0`/`false` turns that one off).
 * @default { attempt: 60_000, total: 180_000 }
 * @example { timeout: { attempt: 30_000, total: 90_000 } }
 */
export type TimeoutOption = number | false | { attempt?: number | false; total?: number | false }

/** setTimeout fires at once for delays above 2^31-1 ms, so longer limits are refused. */
const MAX_TIMER = 2_147_483_647

function milliseconds(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback
  if (value === false) return 0
  if (typeof value !== 'number' || !(value >= 0 && value <= MAX_TIMER)) {
    throw invalid(name, `a number of milliseconds from 0 to ${MAX_TIMER}, or false`, value)
  }
  return value
}

/** The limits a {@link TimeoutOption} gives over `base`; throws a `TypeError` naming `name` when it is invalid. */
export function resolveTimeouts(value: TimeoutOption | undefined, base: Timeouts, name: string): Timeouts {
  if (value === false || value === 0) return { attempt: 0, total: 0 }
  if (typeof value === 'object' && value !== null) {
    return {
      attempt: milliseconds(value.attempt, `${name}.attempt`, base.attempt),
      total: milliseconds(value.total, `${name}.total`, base.total),
    }
  }
  return { attempt: base.attempt, total: milliseconds(value, name, base.total) }
}

/** An `AbortSignal` that aborts after `ms` (none when `ms` is 0), and a way to stop its timer. */
export function timer(ms: number): { signal: AbortSignal | undefined; clear: () => void } {
  if (!ms) return { signal: undefined, clear: () => {} }
  const controller = new AbortController()
  const id = setTimeout(() => controller.abort(), ms)
  return { signal: controller.signal, clear: () => clearTimeout(id) }
}

/** Which time limit ended an attempt: its own, or the whole call's. */
export type ExpiredLimit = 'attempt' | 'total'

/**
 * The signal of one attempt: it aborts when `signal` does, or when the attempt's limit (`attemptMs`, 0 for none) or
 * the call's deadline (epoch ms, `Infinity` for none) passes, whichever comes first; one timer serves both limits.
 * `expired` says which limit it was; `clear` stops the timer and the listener.
 * @example const clock = attemptClock(signal, 60_000, Date.now() + 180_000)
 */
export function attemptClock(
  signal: AbortSignal | undefined,
  attemptMs: number,
  deadline: number,
): { signal: AbortSignal; expired: () => ExpiredLimit | undefined; clear: () => void } {
  const controller = new AbortController()
  let expired: ExpiredLimit | undefined
  const remaining = deadline - Date.now()
  // The call's deadline wins a tie: its error is the one a caller can do nothing about by retrying.
  const limit: ExpiredLimit = attemptMs && attemptMs < remaining ? 'attempt' : 'total'
  const ms = limit === 'attempt' ? attemptMs : remaining
  const id =
    ms === Number.POSITIVE_INFINITY
      ? undefined
      : setTimeout(
          () => {
            expired = limit
            controller.abort()
          },
          Math.max(0, ms),
        )
  const abort = () => controller.abort()
  if (signal?.aborted) controller.abort()
  else signal?.addEventListener('abort', abort)
  return {
    signal: controller.signal,
    expired: () => expired,
    clear: () => {
      clearTimeout(id)
      signal?.removeEventListener('abort', abort)
    },
  }
}

/**
 * A signal that aborts when any of `signals` does; `unlink` removes its listeners from them. When only one of them
 * is defined, it is that one, with nothing to unlink.
 */
export function linkSignals(signals: readonly (AbortSignal | undefined)[]): {
  signal: AbortSignal
  unlink: () => void
} {
  const defined = signals.filter((signal) => signal !== undefined)
  if (defined.length === 1) return { signal: defined[0]!, unlink: () => {} }
  const controller = new AbortController()
  const abort = () => controller.abort()
  for (const signal of signals) {
    if (signal?.aborted) controller.abort()
    else signal?.addEventListener('abort', abort)
  }
  return {
    signal: controller.signal,
    unlink: () => {
      for (const signal of signals) signal?.removeEventListener('abort', abort)
    },
  }
}

/**
 * Settles like `promise`, or rejects as soon as `signal` aborts, even when the promise ignores signals
 * (some fetch polyfills do).
 */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason)
    if (signal.aborted) onAbort()
    signal.addEventListener('abort', onAbort)
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(error)
      },
    )
  })
}

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first; the timer never outlives it. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = () => {
      clearTimeout(id)
      signal?.removeEventListener('abort', onAbort)
    }
    const onAbort = () => {
      done()
      reject(signal?.reason)
    }
    const id = setTimeout(() => {
      done()
      resolve()
    }, ms)
    if (signal?.aborted) onAbort()
    else signal?.addEventListener('abort', onAbort)
  })
}

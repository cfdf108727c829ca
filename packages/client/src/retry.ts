import { ApiError } from './errors/api-error.js'
import { ConnectionError } from './errors/connection-error.js'
import type { GenimageError } from './errors/genimage-error.js'
import { TimeoutError } from './errors/timeout-error.js'
import { parseRetryAfter } from './retry-after.js'

/**
 * When and how to retry. Network errors, attempt timeouts and 408/429/500/502/503/504 are retried; a `POST` only
 * when it carries an `Idempotency-Key` (the client sets one unless told not to).
 * @example { retry: { limit: 4, baseDelay: 1000 } }
 */
export interface RetryOptions {
  /**
   * Retries after the first attempt.
   * @default 2
   */
  limit?: number
  /**
   * Wait before the first retry in ms; it doubles for each further retry.
   * @default 500
   */
  baseDelay?: number
  /**
   * Longest backoff wait in ms.
   * @default 8000
   */
  maxDelay?: number
  /**
   * Fraction of each backoff wait removed at random (0 to 1), so clients that failed together do not retry together.
   * @default 0.25
   */
  jitter?: number
  /**
   * Longest `Retry-After` (on 429 and 503) the client waits, in ms; when the server asks for more, the error is
   * thrown at once and its `retryAfter` says how long the server asked for.
   * @default 60_000
   */
  maxRetryAfter?: number
}

/** {@link RetryOptions} with every default filled in; `limit: 0` when retries are off. */
export type RetryPolicy = Required<RetryOptions>

/** The defaults of {@link RetryOptions}. */
export const defaultRetry: RetryPolicy = {
  limit: 2,
  baseDelay: 500,
  maxDelay: 8000,
  jitter: 0.25,
  maxRetryAfter: 60_000,
}

/** Statuses worth another attempt. */
export const retryStatuses: readonly number[] = [408, 429, 500, 502, 503, 504]

/**
 * Milliseconds to wait before retry number `retry` (1 for the first) after `error`, or `undefined` to give up.
 * `Retry-After` wins over backoff on 429 and 503.
 */
export function retryDelay(
  policy: RetryPolicy,
  retry: number,
  error: GenimageError,
  statuses: readonly number[] = retryStatuses,
): number | undefined {
  if (retry > policy.limit) return undefined
  if (error instanceof ApiError) {
    if (!statuses.includes(error.status)) return undefined
    const after =
      error.status === 429 || error.status === 503 ? parseRetryAfter(error.headers.get('retry-after')) : undefined
    if (after !== undefined) return after <= policy.maxRetryAfter ? after : undefined
  } else if (!(error instanceof ConnectionError || (error instanceof TimeoutError && error.kind === 'attempt'))) {
    return undefined
  }
  const backoff = Math.min(policy.baseDelay * 2 ** (retry - 1), policy.maxDelay)
  return backoff * (1 - policy.jitter * Math.random())
}

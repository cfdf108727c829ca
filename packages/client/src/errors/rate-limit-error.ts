import { retryAfterSeconds } from '../retry-after.js'
import { ApiError, type ApiErrorInit } from './api-error.js'

/**
 * 429: the queue is full; `retryAfter` says when to try again.
 * @example if (error instanceof RateLimitError) await sleep((error.retryAfter ?? 1) * 1000)
 */
export class RateLimitError extends ApiError {
  override readonly name: string = 'RateLimitError'
  declare readonly status: 429
  /** Seconds the server asked to wait (`Retry-After`), or `undefined` when it did not say. */
  readonly retryAfter: number | undefined

  constructor(init: ApiErrorInit) {
    super(init)
    this.retryAfter = retryAfterSeconds(init.headers)
  }
}

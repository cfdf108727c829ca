import { retryAfterSeconds } from '../retry-after.js'
import { ApiError, type ApiErrorInit } from './api-error.js'

/**
 * 503: the backend is starting, restarting or draining; `retryAfter` says when to try again.
 * @example if (error instanceof ServiceUnavailableError) await sleep((error.retryAfter ?? 1) * 1000)
 */
export class ServiceUnavailableError extends ApiError {
  override readonly name: string = 'ServiceUnavailableError'
  declare readonly status: 503
  /** Seconds the server asked to wait (`Retry-After`), or `undefined` when it did not say. */
  readonly retryAfter: number | undefined

  constructor(init: ApiErrorInit) {
    super(init)
    this.retryAfter = retryAfterSeconds(init.headers)
  }
}

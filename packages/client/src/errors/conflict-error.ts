import { ApiError } from './api-error.js'

/**
 * 409: the `Idempotency-Key` was already used with a different body.
 * @example if (error instanceof ConflictError) console.error(error.detail, error.requestId)
 */
export class ConflictError extends ApiError {
  override readonly name: string = 'ConflictError'
  declare readonly status: 409
}

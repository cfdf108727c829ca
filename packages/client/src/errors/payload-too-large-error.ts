import { ApiError } from './api-error.js'

/**
 * 413: the body is larger than the server accepts.
 * @example if (error instanceof PayloadTooLargeError) console.error(error.detail, error.requestId)
 */
export class PayloadTooLargeError extends ApiError {
  override readonly name: string = 'PayloadTooLargeError'
  declare readonly status: 413
}

import { ApiError } from './api-error.js'

/**
 * 400: the body was malformed, or a queue result was asked for before the request finished or after it was cancelled.
 * @example if (error instanceof BadRequestError) console.error(error.detail, error.requestId)
 */
export class BadRequestError extends ApiError {
  override readonly name: string = 'BadRequestError'
  declare readonly status: 400
}

import { ApiError } from './api-error.js'

/**
 * 500: an unexpected server error.
 * @example if (error instanceof InternalServerError) console.error(error.detail, error.requestId)
 */
export class InternalServerError extends ApiError {
  override readonly name: string = 'InternalServerError'
  declare readonly status: 500
}

import { ApiError } from './api-error.js'

/**
 * 404: no queue request (or file) with this id.
 * @example if (error instanceof NotFoundError) console.error(error.detail, error.requestId)
 */
export class NotFoundError extends ApiError {
  override readonly name: string = 'NotFoundError'
  declare readonly status: 404
}

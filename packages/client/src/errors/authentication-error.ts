import { ApiError } from './api-error.js'

/**
 * 401: the API key is missing or wrong.
 * @example if (error instanceof AuthenticationError) console.error(error.detail, error.requestId)
 */
export class AuthenticationError extends ApiError {
  override readonly name: string = 'AuthenticationError'
  declare readonly status: 401
}

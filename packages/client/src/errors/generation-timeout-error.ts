import { ApiError } from './api-error.js'

/**
 * 504: the generation did not finish within the server's time limit.
 * @example if (error instanceof GenerationTimeoutError) console.error(error.detail, error.requestId)
 */
export class GenerationTimeoutError extends ApiError {
  override readonly name: string = 'GenerationTimeoutError'
  declare readonly status: 504
}

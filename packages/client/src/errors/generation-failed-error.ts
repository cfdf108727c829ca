import { ApiError } from './api-error.js'

/**
 * 502: the image backend failed to run the generation (a node error, out of GPU memory).
 * @example if (error instanceof GenerationFailedError) console.error(error.detail, error.requestId)
 */
export class GenerationFailedError extends ApiError {
  override readonly name: string = 'GenerationFailedError'
  declare readonly status: 502
}

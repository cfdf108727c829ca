import {
  AuthenticationError,
  GenerationFailedError,
  GenerationTimeoutError,
  isApiError,
  isConnectionError,
  isTimeoutError,
  isUserAbortError,
  RateLimitError,
  ServiceUnavailableError,
  ValidationError,
} from '@genimage/client'

/**
 * What the page shows for a failure: a sentence, and the form field to point at when there is one.
 * @example { message: 'Width: Input should be a multiple of 8', field: 'width' }
 */
export interface ErrorView {
  message: string
  field?: string
}

const FIELD_NAMES: Record<string, string> = {
  prompt: 'Prompt',
  width: 'Width',
  height: 'Height',
  num_inference_steps: 'Steps',
  seed: 'Seed',
  image_url: 'Picture',
  strength: 'Strength',
}

/**
 * Turns any error of a generation into a message a person can act on, one per error class.
 * @example describeError(new RateLimitError(…)) // { message: 'The queue is full. Try again in 2 s.' }
 */
export function describeError(error: unknown, apiUrl: string): ErrorView {
  if (error instanceof ValidationError) {
    const issue = error.issues[0]
    const field = issue?.loc.slice(1).join('.') ?? ''
    return { message: `${FIELD_NAMES[field] ?? (field || 'Request')}: ${issue?.msg ?? error.detail}`, field }
  }
  if (error instanceof RateLimitError) {
    return { message: `The queue is full. Try again in ${error.retryAfter ?? 'a few'} s.` }
  }
  if (error instanceof ServiceUnavailableError) {
    return { message: `The server is starting or busy restarting. Try again in ${error.retryAfter ?? 'a few'} s.` }
  }
  if (error instanceof GenerationFailedError) return { message: `The generation failed on the server: ${error.detail}` }
  if (error instanceof GenerationTimeoutError) {
    return { message: 'The server gave up: the generation took too long. Try fewer steps or a smaller size.' }
  }
  if (error instanceof AuthenticationError) {
    return { message: 'The server wants an API key. Call it through a proxy that adds the key (see @genimage/proxy).' }
  }
  if (isUserAbortError(error)) return { message: 'Cancelled.' }
  if (isTimeoutError(error)) return { message: `No image after ${Math.round(error.timeout / 1000)} s; gave up.` }
  if (isConnectionError(error)) return { message: `Cannot reach the genimage server at ${apiUrl}. Is it running?` }
  if (isApiError(error)) return { message: `The server answered ${error.status}: ${error.detail}` }
  return { message: error instanceof Error ? error.message : String(error) }
}

import { GenimageError } from './genimage-error.js'

/**
 * The caller's `AbortSignal` aborted the call; `cause` is the signal's `reason`. Never retried.
 * @example if (error instanceof UserAbortError) return // the user navigated away
 */
export class UserAbortError extends GenimageError {
  override readonly name: string = 'UserAbortError'

  constructor(reason: unknown) {
    super('The request was aborted by its signal', { cause: reason })
  }
}

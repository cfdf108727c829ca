import type { ApiError } from './api-error.js'
import type { ConnectionError } from './connection-error.js'
import type { GenimageError } from './genimage-error.js'
import type { TimeoutError } from './timeout-error.js'
import type { UserAbortError } from './user-abort-error.js'

/**
 * Whether a value is any error thrown by this client, even from another copy of the package (ESM next to CJS).
 * @example if (isGenimageError(error)) report(error.message)
 */
export function isGenimageError(value: unknown): value is GenimageError {
  return typeof value === 'object' && value !== null && (value as GenimageError).isGenimageError === true
}

/**
 * Whether a value is an {@link ApiError}: the server answered with an error status.
 * @example if (isApiError(error) && error.status === 422) showIssues(error.body)
 */
export function isApiError(value: unknown): value is ApiError {
  return isGenimageError(value) && typeof (value as ApiError).status === 'number'
}

/**
 * Whether a value is a {@link TimeoutError} (a client-side time limit, not the caller's signal).
 * @example if (isTimeoutError(error)) retryLater()
 */
export function isTimeoutError(value: unknown): value is TimeoutError {
  return isGenimageError(value) && value.name === 'TimeoutError'
}

/**
 * Whether a value is a {@link UserAbortError} (the caller's `AbortSignal` fired).
 * @example if (isUserAbortError(error)) return
 */
export function isUserAbortError(value: unknown): value is UserAbortError {
  return isGenimageError(value) && value.name === 'UserAbortError'
}

/**
 * Whether a value is a {@link ConnectionError} (no HTTP answer at all).
 * @example if (isConnectionError(error)) showOfflineBanner()
 */
export function isConnectionError(value: unknown): value is ConnectionError {
  return isGenimageError(value) && value.name === 'ConnectionError'
}

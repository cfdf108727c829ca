import { ApiError, type ApiErrorInit } from './api-error.js'
import { AuthenticationError } from './authentication-error.js'
import { BadRequestError } from './bad-request-error.js'
import { ConflictError } from './conflict-error.js'
import { GenerationFailedError } from './generation-failed-error.js'
import { GenerationTimeoutError } from './generation-timeout-error.js'
import { InternalServerError } from './internal-server-error.js'
import { NotFoundError } from './not-found-error.js'
import { PayloadTooLargeError } from './payload-too-large-error.js'
import { RateLimitError } from './rate-limit-error.js'
import { ServiceUnavailableError } from './service-unavailable-error.js'
import { ValidationError } from './validation-error.js'

const byStatus: Record<number, typeof ApiError> = {
  400: BadRequestError,
  401: AuthenticationError,
  404: NotFoundError,
  409: ConflictError,
  413: PayloadTooLargeError,
  422: ValidationError,
  429: RateLimitError,
  500: InternalServerError,
  502: GenerationFailedError,
  503: ServiceUnavailableError,
  504: GenerationTimeoutError,
}

/** The {@link ApiError} subclass for a status, or `ApiError` itself for statuses without one (415, 418, …). */
export function createApiError(init: ApiErrorInit): ApiError {
  return new (byStatus[init.status] ?? ApiError)(init)
}

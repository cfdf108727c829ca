import { HttpProblem, ValidationProblem } from '../errors.js'
import type { JobError, QueueError, QueueErrorCode } from './port.js'

/** The HTTP status of each queue refusal: the one table the routes and the mocks' scenarios answer with. */
const QUEUE_ERROR_STATUS: Readonly<Record<QueueErrorCode, number>> = {
  queue_full: 429,
  draining: 503,
  not_ready: 503,
  unavailable: 503,
  idempotency_conflict: 409,
  not_found: 404,
}

/**
 * The HTTP answer of a queue refusal: its status from {@link QUEUE_ERROR_STATUS}, its message, and `Retry-After`.
 * @example queueErrorToProblem(queueErrors.queueFull(64, 3)).status // 429
 */
export function queueErrorToProblem(error: QueueError): HttpProblem {
  const headers: Record<string, string> =
    error.retryAfterS === undefined ? {} : { 'Retry-After': String(Math.max(1, Math.ceil(error.retryAfterS))) }
  return new HttpProblem(QUEUE_ERROR_STATUS[error.code], error.message, headers)
}

/**
 * The HTTP answer of a failed or cancelled job's result: its status and message, `Retry-After` when set, and the
 * pydantic-shaped 422 body for `invalid_input`.
 * @example jobErrorToProblem(jobErrors.cancelled()).status // 400
 */
export function jobErrorToProblem(error: JobError): HttpProblem {
  if (error.kind === 'invalid_input') {
    return new ValidationProblem([{ loc: ['body'], msg: error.message, type: 'value_error' }])
  }
  const headers: Record<string, string> =
    error.retryAfterS === undefined ? {} : { 'Retry-After': String(Math.max(1, Math.ceil(error.retryAfterS))) }
  return new HttpProblem(error.status, error.message, headers)
}

import { BackendError, type BackendState } from '../backend.js'
import { type JobError, QueueError } from './port.js'

/** Seconds a caller is told to wait before retrying a node that is starting, draining or unreachable. */
const RETRY_SOON_S = 5

/**
 * The queue's refusals, with the one wording every implementation and the mocks' scenarios use.
 * @example throw queueErrors.queueFull(64, 3)
 */
export const queueErrors = {
  /** The bounded queue has no room: 429 with `Retry-After`. */
  queueFull: (waiting: number, retryAfterS: number): QueueError =>
    new QueueError('queue_full', `Queue is full (${waiting} waiting); retry after ${retryAfterS} s`, { retryAfterS }),
  /** The node is shutting down: 503 with `Retry-After`. */
  draining: (): QueueError =>
    new QueueError('draining', 'Server is draining and accepts no new work', { retryAfterS: RETRY_SOON_S }),
  /** No backend can take jobs yet: 503 with `Retry-After`. */
  notReady: (backend: string, state: BackendState): QueueError =>
    new QueueError('not_ready', `Server is not ready: the ${backend} backend is ${state.replace('_', ' ')}`, {
      retryAfterS: RETRY_SOON_S,
    }),
  /** The queue's own storage cannot be reached: 503 with `Retry-After`. */
  unavailable: (detail: string): QueueError =>
    new QueueError('unavailable', `Job queue unavailable: ${detail}`, { retryAfterS: RETRY_SOON_S }),
  /** The owner reused an `Idempotency-Key` with another body: 409. */
  idempotencyConflict: (): QueueError =>
    new QueueError('idempotency_conflict', 'Idempotency-Key was already used with a different request body'),
  /** No such job for this owner (unknown, expired or another owner's): 404. */
  notFound: (id: string): QueueError => new QueueError('not_found', `Request ${id} not found`),
}

/**
 * The final errors of jobs, as plain serialisable {@link JobError}s with the one wording every implementation uses.
 * @example record.error = jobErrors.cancelled()
 */
export const jobErrors = {
  /** Cancelled by its owner (400 on its result). */
  cancelled: (): JobError => ({ status: 400, kind: 'cancelled', message: 'Request was cancelled' }),
  /** Ran past the job timeout (504). */
  timedOut: (timeoutMs: number): JobError => ({
    status: 504,
    kind: 'timeout',
    message: `Generation timed out after ${timeoutMs} ms`,
  }),
  /** Still queued or running when a draining node's grace ended (503: submit it again). */
  dropped: (graceMs: number): JobError => ({
    status: 503,
    kind: 'dropped',
    message: `Request was dropped: the server shut down before it could finish (grace ${graceMs} ms); submit it again`,
    retryAfterS: RETRY_SOON_S,
  }),
  /** An unexpected failure (500); the detail stays in the logs. */
  internal: (): JobError => ({ status: 500, kind: 'internal', message: 'Internal server error' }),
  /** What a backend failure means for the caller: 502, 503, 504 or 422 by {@link BackendError} kind. */
  fromBackend: (error: BackendError): JobError => {
    switch (error.kind) {
      case 'timeout':
        return { status: 504, kind: error.kind, message: `Generation timed out: ${error.message}` }
      case 'unavailable':
        return {
          status: 503,
          kind: error.kind,
          message: `Image backend unavailable: ${error.message}`,
          retryAfterS: RETRY_SOON_S,
        }
      case 'invalid_input':
        return { status: 422, kind: error.kind, message: error.message }
      case 'out_of_memory':
        return { status: 502, kind: error.kind, message: `Generation failed, out of GPU memory: ${error.message}` }
      default:
        return { status: 502, kind: error.kind, message: `Generation failed: ${error.message}` }
    }
  },
}

/**
 * True for a plain {@link JobError} (status, message and kind), such as the reason a queue aborts a job with.
 * @example if (isJobError(signal.reason)) record.error = signal.reason
 */
export function isJobError(value: unknown): value is JobError {
  if (typeof value !== 'object' || value === null) return false
  const candidate = value as Partial<JobError>
  return (
    typeof candidate.status === 'number' && typeof candidate.message === 'string' && typeof candidate.kind === 'string'
  )
}

/**
 * The {@link JobError} of any failure of a run: a JobError as it is, a backend error by kind, anything else 500.
 * @example jobErrorOf(new BackendError('out_of_memory', 'CUDA out of memory')).status // 502
 */
export function jobErrorOf(error: unknown): JobError {
  if (isJobError(error)) return error
  if (error instanceof BackendError) return jobErrors.fromBackend(error)
  return jobErrors.internal()
}

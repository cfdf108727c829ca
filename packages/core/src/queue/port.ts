import type { BackendState } from '../backend.js'
import type { LogLine, Progress, ResolvedGenerateRequest, Timings } from '../types.js'
import type { JobWebhook } from '../webhooks/port.js'

/**
 * The queue port: what the HTTP app needs from a job queue, whichever implementation holds the jobs.
 * Two implementations keep it: the embedded in-memory queue (`MemoryJobQueue`, core: `npm start`, the mocks, the
 * browser) and the BullMQ queue on Redis (`@genimage/server`, `REDIS_URL`). One conformance suite runs against both.
 *
 * Every value crossing the port is plain JSON (no class instances, no bytes, no functions) so that a Redis-backed
 * implementation can store it as it is. Image bytes never cross it: they live in the {@link ImageStore}.
 * @module
 */

/** Where a job is in its life, using the queue protocol's names. */
export type JobState = 'IN_QUEUE' | 'IN_PROGRESS' | 'COMPLETED'

/** How a completed job ended. */
export type JobOutcome = 'succeeded' | 'failed' | 'cancelled'

/**
 * Who a job belongs to: an opaque id derived from the API key that submitted it (never the key itself), or
 * `'anonymous'` when the server runs without API keys. A job read with another owner does not exist (404).
 */
export type JobOwner = string

/** One stored image of a succeeded job (its bytes are in the image store under `key`). */
export interface JobImage {
  /** The store key (`<hash>.<ext>`). */
  key: string
  contentType: 'image/png' | 'image/jpeg' | 'image/webp'
  fileSize: number
  width: number
  height: number
}

/** Why a job failed or was cancelled, as plain data: the HTTP status and message its result answers with. */
export interface JobError {
  /** HTTP status of `GET /queue/requests/{id}` for this job (400 cancelled, 422, 502, 503, 504, 500). */
  status: number
  /** Human message, the `detail` of the error body. */
  message: string
  /** Machine kind: `cancelled`, `timeout`, `out_of_memory`, `execution_failed`, `unavailable`, `invalid_input`, `internal`, `dropped`. */
  kind: string
  /** Seconds for `Retry-After`, when retrying makes sense (503). */
  retryAfterS?: number
}

/** One job as every API node sees it: plain, serialisable data. */
export interface JobRecord {
  /** The request id (a UUID), stable across retries on other workers. */
  readonly id: string
  /** The owner that submitted it. */
  readonly owner: JobOwner
  /** The validated request with defaults applied. */
  readonly input: ResolvedGenerateRequest
  readonly state: JobState
  /** Jobs ahead of this one while `IN_QUEUE`, else 0. */
  readonly queuePosition: number
  readonly progress: Progress
  readonly logs: readonly LogLine[]
  readonly outcome?: JobOutcome
  /** The images of a succeeded job, `input.num_images` of them in seed order. */
  readonly images?: readonly JobImage[]
  readonly timings?: Timings
  readonly error?: JobError
  /** Epoch milliseconds when the job was accepted. */
  readonly acceptedAt: number
  /** Epoch milliseconds when the job completed. */
  readonly finishedAt?: number
  /** Where the job's result is POSTed when it completes (`webhook_url`), if anywhere. */
  readonly webhook?: JobWebhook
}

/** What a caller hands to {@link JobQueue.submit}. */
export interface SubmitRequest {
  /** The validated request. */
  input: ResolvedGenerateRequest
  /** The owner of the new job. */
  owner: JobOwner
  /** A validated `Idempotency-Key`, scoped to `owner`. */
  idempotencyKey?: string
  /**
   * Fingerprint of route + body that a reused idempotency key must match (else `idempotency_conflict`); the app sends
   * a SHA-256 hex digest (64 characters), so ledger entries stay small.
   */
  fingerprint: string
  /** Where the result is POSTed when the job completes (`webhook_url`); the fingerprint covers its URL. */
  webhook?: JobWebhook
}

/** Why the queue refused an operation; mapped to HTTP in one table (`queueErrorToProblem`). */
export type QueueErrorCode =
  /** The bounded queue is full → 429 + Retry-After. */
  | 'queue_full'
  /** The node is shutting down → 503 + Retry-After. */
  | 'draining'
  /** No worker/backend is ready yet (starting, warming up) → 503 + Retry-After. */
  | 'not_ready'
  /** The queue's own storage (Redis) cannot be reached → 503 + Retry-After. */
  | 'unavailable'
  /** The same Idempotency-Key with another body → 409. */
  | 'idempotency_conflict'
  /** No such job for this owner → 404. */
  | 'not_found'

/**
 * A refusal of the queue, with the seconds after which a retry may succeed.
 * @example throw new QueueError('queue_full', 'Queue is full (64 waiting)', { retryAfterS: 3 })
 */
export class QueueError extends Error {
  override readonly name = 'QueueError'
  /** What went wrong. */
  readonly code: QueueErrorCode
  /** Seconds for `Retry-After`, where it applies. */
  readonly retryAfterS: number | undefined

  constructor(code: QueueErrorCode, message: string, options: { retryAfterS?: number; cause?: unknown } = {}) {
    super(message, { cause: options.cause })
    this.code = code
    this.retryAfterS = options.retryAfterS
  }
}

/** The answer of {@link JobQueue.cancel}. */
export type CancelResult = 'cancellation_requested' | 'already_completed' | 'not_found'

/** What `/ready` and `/metrics` report about the queue and the workers behind it. */
export interface QueueHealth {
  /** The backend state of the workers (the best of them): `ready` when at least one worker can take jobs. */
  state: BackendState
  /** Backend name reported by `/ready` (`synthetic`, `comfyui`). */
  backend: string
  /** True once {@link JobQueue.drain} was called on this node. */
  draining: boolean
  /** Jobs waiting. */
  waiting: number
  /** Jobs running on any worker. */
  running: number
}

/** Options of {@link JobQueue.drain}. */
export interface DrainOptions {
  /**
   * Milliseconds accepted jobs may still run; when they are over, every job this node still owes is ended as failed
   * with kind `dropped` (503). Without it, drain waits for every accepted job.
   */
  graceMs?: number
}

/** What {@link JobQueue.drain} did. */
export interface DrainReport {
  /** Jobs ended as `dropped` because the grace ran out (always 0 for a durable queue, whose jobs stay queued). */
  dropped: number
}

/** Called with the fresh record whenever a job changes (position, progress, logs, completion). */
export type JobRecordListener = (record: JobRecord) => void

/**
 * The queue port. Implementations: `MemoryJobQueue` (embedded, core) and the BullMQ queue (`@genimage/server`).
 * Errors are {@link QueueError}s; every read is scoped to an owner.
 */
export interface JobQueue {
  /** Accepts a job (or joins the running/succeeded job of the same owner's idempotency key; a failed one reruns). */
  submit(request: SubmitRequest): Promise<JobRecord>
  /** The job, or `undefined` when it does not exist for this owner (unknown, expired or someone else's). */
  get(id: string, owner: JobOwner): Promise<JobRecord | undefined>
  /**
   * Calls `listener` with each change of the job until it completes (the current record first); resolves with the
   * unsubscribe function. Throws `not_found` for a job this owner cannot see.
   */
  watch(id: string, owner: JobOwner, listener: JobRecordListener): Promise<() => void>
  /** Resolves with the completed record; rejects with the signal's reason when aborted first. */
  waitFor(id: string, owner: JobOwner, signal?: AbortSignal): Promise<JobRecord>
  /** Cancels a queued job (removed at once) or a running one (interrupted on its worker). */
  cancel(id: string, owner: JobOwner): Promise<CancelResult>
  /** Readiness and depth, for `/ready`, `/metrics` and 429 estimates. */
  health(): Promise<QueueHealth>
  /**
   * Stops accepting jobs on this node (`draining`); resolves when this node owes nothing more: every job it accepted
   * completed, or (after `graceMs`) was ended with a final status (`dropped`) or, for a durable queue, left queued.
   */
  drain(options?: DrainOptions): Promise<DrainReport>
  /** Releases connections and timers. */
  close(): Promise<void>
}

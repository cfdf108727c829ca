import type { Backend } from '../../backend.js'
import { MetricsRegistry } from '../../metrics/registry.js'
import type { ImageStore } from '../../store/image-store.js'
import type { LogLine, Progress, ResolvedGenerateRequest, Timings } from '../../types.js'
import { samplingSteps } from '../../validation/generate-request.js'
import type { JobWebhook } from '../../webhooks/port.js'
import { jobErrorOf, jobErrors, queueErrors } from '../errors.js'
import type {
  CancelResult,
  DrainOptions,
  DrainReport,
  JobError,
  JobImage,
  JobOutcome,
  JobOwner,
  JobQueue,
  JobRecord,
  JobRecordListener,
  JobState,
  QueueHealth,
  SubmitRequest,
} from '../port.js'
import { runJob } from '../runner.js'
import { IdempotencyLedger } from './idempotency-ledger.js'

/** Options of {@link MemoryJobQueue}; every retention bound has a default and is meant to be configured. */
export interface MemoryJobQueueOptions {
  /** Where images come from. */
  backend: Backend
  /** Where finished images are kept for `/files/{key}` and `sync_mode` answers. */
  store: ImageStore
  /** Registry the queue's metrics are recorded into. @default a new one */
  metrics?: MetricsRegistry
  /** Jobs allowed to wait; one more is refused with `queue_full` (429 + Retry-After). @default 64 */
  maxQueueSize?: number
  /** Longest a job may run on the backend before it fails with 504. @default 60000 */
  jobTimeoutMs?: number
  /** Times a job is handed to the backend when the backend was unavailable mid-job. @default 3 */
  maxAttempts?: number
  /** How long a finished job stays readable (status, result, stream). @default 3600000 (1 h) */
  resultTtlMs?: number
  /** Finished jobs kept readable at most; the oldest is forgotten first. @default 10000 */
  maxFinishedJobs?: number
  /** How long an `Idempotency-Key` is remembered. @default 86400000 (24 h) */
  idempotencyTtlMs?: number
  /** `Idempotency-Key`s remembered at most, all owners together; the oldest is forgotten first. @default 10000 */
  maxIdempotencyKeys?: number
  /** Bytes of `Idempotency-Key`s and request fingerprints remembered at most. @default 16777216 (16 MiB) */
  maxIdempotencyBytes?: number
  /** Clock in epoch milliseconds (tests inject one). @default performance.timeOrigin + performance.now() */
  now?: () => number
  /** Id factory for new jobs. @default crypto.randomUUID */
  createId?: () => string
  /** Called when a job ran past its timeout, after it was aborted (the server restarts a hung backend here). */
  onJobTimeout?: (jobId: string) => void
  /** Called once with the final record of every job that completes (succeeded, failed or cancelled). */
  onJobFinished?: (record: JobRecord) => void
}

interface Job {
  readonly id: string
  readonly owner: JobOwner
  readonly input: ResolvedGenerateRequest
  state: JobState
  progress: Progress
  logs: LogLine[]
  outcome?: JobOutcome
  images?: JobImage[]
  timings?: Timings
  error?: JobError
  attempts: number
  acceptedAt: number
  startedAt?: number
  finishedAt?: number
  webhook: JobWebhook | undefined
  // What a job holds only while it has not completed (made when first needed, dropped when it completes): a finished
  // job stays readable for `resultTtlMs`, and a queue keeps thousands of them.
  /** Aborts its run (cancel, drop): made when it starts running. */
  controller: AbortController | undefined
  /** Who watches it: made by the first `watch`. */
  listeners: Set<JobRecordListener> | undefined
  /** Settles when it completes: made by the first wait (`waitFor`, `drain`), with its `complete`. */
  completion: Promise<void> | undefined
  complete: (() => void) | undefined
}

const defaultNow = (): number =>
  typeof performance !== 'undefined' ? performance.timeOrigin + performance.now() : Date.now()

const round = (ms: number): number => Math.round(ms * 10) / 10

/**
 * The embedded {@link JobQueue}: jobs in this process's memory, run on one {@link Backend} with {@link runJob}.
 * FIFO with positions, progress, cancel of queued and running jobs, a bounded queue (`queue_full` with a Retry-After
 * from the backlog and measured durations), per-job timeouts, resubmission when the backend is unavailable,
 * owner-scoped and bounded idempotency, bounded retention, and a drain that gives every accepted job a final status.
 * Not durable: a process exit loses queued jobs (the Redis queue of `@genimage/server` is durable).
 * @example
 * const queue = new MemoryJobQueue({ backend: createSyntheticBackend(), store: new MemoryImageStore() })
 * const job = await queue.submit({ input: resolveGenerateRequest({ prompt: 'a fox' }), owner: 'anonymous', fingerprint: '' })
 * await queue.waitFor(job.id, 'anonymous')
 */
export class MemoryJobQueue implements JobQueue {
  /** The backend jobs run on. */
  readonly backend: Backend
  /** The store images are put in. */
  readonly store: ImageStore
  /** The registry the queue records into. */
  readonly metrics: MetricsRegistry
  readonly #waiting: Job[] = []
  readonly #jobs = new Map<string, Job>()
  readonly #finished: Job[] = []
  readonly #ledger: IdempotencyLedger
  readonly #maxQueueSize: number
  readonly #jobTimeoutMs: number
  readonly #maxAttempts: number
  readonly #resultTtlMs: number
  readonly #maxFinishedJobs: number
  readonly #now: () => number
  readonly #createId: () => string
  readonly #onJobTimeout: ((jobId: string) => void) | undefined
  readonly #onJobFinished: ((record: JobRecord) => void) | undefined
  #running = 0
  #draining = false
  /** Stops listening to the backend's capacity (its room can open without a job ending). */
  readonly #offCapacity: (() => void) | undefined
  readonly #recentDurationsMs: number[] = []
  readonly #jobsTotal
  readonly #errorsTotal
  readonly #queueWait
  readonly #inference
  readonly #total

  constructor(options: MemoryJobQueueOptions) {
    this.backend = options.backend
    this.store = options.store
    this.metrics = options.metrics ?? new MetricsRegistry()
    this.#maxQueueSize = options.maxQueueSize ?? 64
    this.#jobTimeoutMs = options.jobTimeoutMs ?? 60_000
    this.#maxAttempts = options.maxAttempts ?? 3
    this.#resultTtlMs = options.resultTtlMs ?? 3_600_000
    this.#maxFinishedJobs = options.maxFinishedJobs ?? 10_000
    this.#now = options.now ?? defaultNow
    this.#createId = options.createId ?? (() => crypto.randomUUID())
    this.#onJobTimeout = options.onJobTimeout
    this.#onJobFinished = options.onJobFinished
    this.#offCapacity = this.backend.onCapacity?.(() => this.#pump())
    this.#ledger = new IdempotencyLedger({
      ttlMs: options.idempotencyTtlMs,
      maxEntries: options.maxIdempotencyKeys,
      maxBytes: options.maxIdempotencyBytes,
      now: this.#now,
    })
    this.#jobsTotal = this.metrics.counter('genimage_jobs_total', 'Finished jobs by outcome.')
    this.#errorsTotal = this.metrics.counter(
      'genimage_errors_total',
      'Failed jobs by kind (out_of_memory, execution_failed, timeout, unavailable, invalid_input, dropped, internal).',
    )
    this.#queueWait = this.metrics.histogram('genimage_queue_wait_seconds', 'Time jobs waited in the queue.')
    this.#inference = this.metrics.histogram('genimage_inference_seconds', 'Time jobs ran on the backend.')
    this.#total = this.metrics.histogram('genimage_job_duration_seconds', 'Time from accepting a job to finishing it.')
    this.metrics.gauge('genimage_queue_depth', 'Jobs waiting in the queue.', () => this.#waiting.length)
    this.metrics.gauge('genimage_jobs_running', 'Jobs running on the backend.', () => this.#running)
  }

  async submit(request: SubmitRequest): Promise<JobRecord> {
    const { input, owner, idempotencyKey, fingerprint } = request
    this.#prune()
    if (idempotencyKey !== undefined) {
      const existingId = this.#ledger.lookup(owner, idempotencyKey, fingerprint)
      const existing = existingId === undefined ? undefined : this.#jobs.get(existingId)
      // A running or succeeded job is joined; a failed or cancelled one runs again under the same key.
      if (existing && (existing.state !== 'COMPLETED' || existing.outcome === 'succeeded'))
        return this.#record(existing)
    }
    if (this.#draining) throw queueErrors.draining()
    const state = this.backend.state()
    // While restarting, jobs wait in the queue; before the first start completes, callers are told to come back.
    if (state === 'starting' || state === 'warming_up' || state === 'stopped') {
      throw queueErrors.notReady(this.backend.name, state)
    }
    if (this.#waiting.length >= this.#maxQueueSize) {
      throw queueErrors.queueFull(this.#waiting.length, this.#retryAfterSeconds())
    }
    const job: Job = {
      id: this.#createId(),
      owner,
      input,
      state: 'IN_QUEUE',
      progress: { step: 0, total_steps: samplingSteps(input) },
      logs: [],
      attempts: 0,
      acceptedAt: this.#now(),
      webhook: request.webhook,
      controller: undefined,
      listeners: undefined,
      completion: undefined,
      complete: undefined,
    }
    this.#jobs.set(job.id, job)
    this.#waiting.push(job)
    if (idempotencyKey !== undefined) this.#ledger.record(owner, idempotencyKey, fingerprint, job.id)
    const accepted = this.#record(job)
    this.#pump()
    return accepted
  }

  async get(id: string, owner: JobOwner): Promise<JobRecord | undefined> {
    const job = this.#find(id, owner)
    return job ? this.#record(job) : undefined
  }

  async watch(id: string, owner: JobOwner, listener: JobRecordListener): Promise<() => void> {
    const job = this.#require(id, owner)
    listener(this.#record(job))
    if (job.state === 'COMPLETED') return () => {}
    job.listeners ??= new Set()
    const { listeners } = job
    listeners.add(listener)
    return () => listeners.delete(listener)
  }

  async waitFor(id: string, owner: JobOwner, signal?: AbortSignal): Promise<JobRecord> {
    const job = this.#require(id, owner)
    signal?.throwIfAborted()
    if (job.state === 'COMPLETED') return this.#record(job)
    const completion = this.#completion(job)
    if (signal) {
      await new Promise<void>((resolve, reject) => {
        const onAbort = (): void => reject(signal.reason)
        signal.addEventListener('abort', onAbort, { once: true })
        void completion.then(() => {
          signal.removeEventListener('abort', onAbort)
          resolve()
        })
      })
    } else {
      await completion
    }
    return this.#record(job)
  }

  async cancel(id: string, owner: JobOwner): Promise<CancelResult> {
    const job = this.#find(id, owner)
    if (!job) return 'not_found'
    if (job.state === 'COMPLETED') return 'already_completed'
    this.#end(job, 'cancelled', jobErrors.cancelled())
    return 'cancellation_requested'
  }

  async health(): Promise<QueueHealth> {
    return {
      state: this.backend.state(),
      backend: this.backend.name,
      draining: this.#draining,
      waiting: this.#waiting.length,
      running: this.#running,
    }
  }

  /**
   * Refuses new jobs, lets accepted ones run until `graceMs` has passed, then ends every job still queued or running
   * as failed with kind `dropped` (503), so every accepted job has a final status. Resolves with how many were dropped.
   */
  async drain(options: DrainOptions = {}): Promise<DrainReport> {
    this.#draining = true
    const pending = (): Job[] => [...this.#jobs.values()].filter((job) => job.state !== 'COMPLETED')
    const { graceMs } = options
    const settled = Promise.all(pending().map((job) => this.#completion(job))).then(() => undefined)
    if (graceMs === undefined) {
      await settled
      return { dropped: 0 }
    }
    let timer: ReturnType<typeof setTimeout> | undefined
    const graceOver = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, graceMs)
    })
    await Promise.race([settled, graceOver])
    clearTimeout(timer)
    const dropped = pending()
    for (const job of dropped) this.#end(job, 'failed', jobErrors.dropped(graceMs))
    return { dropped: dropped.length }
  }

  /** Ends every job still queued or running as `dropped` at once; the queue accepts nothing more. */
  async close(): Promise<void> {
    this.#offCapacity?.()
    await this.drain({ graceMs: 0 })
  }

  /** Ends a job that has not completed: out of the queue, aborted on the backend, completed with `error`. */
  #end(job: Job, outcome: JobOutcome, error: JobError): void {
    const index = this.#waiting.indexOf(job)
    if (index >= 0) this.#waiting.splice(index, 1)
    job.controller?.abort(error)
    if (outcome === 'failed') this.#errorsTotal.inc({ kind: error.kind })
    this.#finish(job, outcome, { error })
    if (index >= 0) this.#notifyPositions(index)
  }

  /** Settles when `job` (not completed) completes. */
  #completion(job: Job): Promise<void> {
    job.completion ??= new Promise<void>((resolve) => {
      job.complete = resolve
    })
    return job.completion
  }

  #find(id: string, owner: JobOwner): Job | undefined {
    this.#prune()
    const job = this.#jobs.get(id)
    return job && job.owner === owner ? job : undefined
  }

  #require(id: string, owner: JobOwner): Job {
    const job = this.#find(id, owner)
    if (!job) throw queueErrors.notFound(id)
    return job
  }

  #retryAfterSeconds(): number {
    const durations = this.#recentDurationsMs
    const average = durations.length === 0 ? 1000 : durations.reduce((sum, ms) => sum + ms, 0) / durations.length
    const concurrency = Math.max(1, this.backend.concurrency ?? 1)
    return Math.max(1, Math.ceil((average * (this.#waiting.length / concurrency)) / 1000 / 4))
  }

  #pump(): void {
    const concurrency = Math.max(1, this.backend.concurrency ?? 1)
    while (this.#running < concurrency && this.#waiting.length > 0) {
      const job = this.#waiting.shift()!
      this.#running += 1
      void this.#execute(job)
      this.#notifyPositions(0)
    }
  }

  async #execute(job: Job): Promise<void> {
    job.state = 'IN_PROGRESS'
    job.startedAt ??= this.#now()
    job.attempts += 1
    job.controller ??= new AbortController()
    const { controller } = job
    this.#emit(job)
    try {
      const { images, timings } = await runJob({
        backend: this.backend,
        store: this.store,
        job: { id: job.id, input: job.input },
        controller,
        timeoutMs: this.#jobTimeoutMs,
        onProgress: (step, totalSteps) => this.#progress(job, step, totalSteps),
        onLog: (line) => job.logs.push(line),
        onTimeout: () => this.#onJobTimeout?.(job.id),
      })
      this.#finish(job, 'succeeded', { images, timings })
    } catch (thrown) {
      const error = jobErrorOf(thrown)
      // A cancel or a drop may have completed the job while it ran.
      if ((job.state as JobState) !== 'COMPLETED') {
        if (error.kind === 'unavailable' && job.attempts < this.#maxAttempts) {
          job.logs.push({
            message: `${error.message}; resubmitting`,
            level: 'WARN',
            timestamp: new Date().toISOString(),
          })
          job.state = 'IN_QUEUE'
          this.#waiting.unshift(job)
          this.#notifyPositions(0)
        } else {
          this.#errorsTotal.inc({ kind: error.kind })
          this.#finish(job, 'failed', { error })
        }
      }
    } finally {
      this.#running -= 1
      this.#pump()
    }
  }

  #finish(
    job: Job,
    outcome: JobOutcome,
    details: { images?: JobImage[]; error?: JobError; timings?: Pick<Timings, 'inference_ms' | 'encode_ms'> },
  ): void {
    if (job.state === 'COMPLETED') return
    const now = this.#now()
    const startedAt = job.startedAt ?? now
    job.state = 'COMPLETED'
    job.outcome = outcome
    job.finishedAt = now
    job.images = details.images
    job.error = details.error
    job.timings = {
      queue_ms: round(startedAt - job.acceptedAt),
      inference_ms: details.timings?.inference_ms ?? round(now - startedAt),
      encode_ms: details.timings?.encode_ms ?? 0,
      total_ms: round(now - job.acceptedAt),
    }
    if (outcome === 'succeeded') {
      job.progress = { step: job.progress.total_steps, total_steps: job.progress.total_steps }
      this.#recentDurationsMs.push(now - startedAt)
      if (this.#recentDurationsMs.length > 20) this.#recentDurationsMs.shift()
      this.#queueWait.observe((startedAt - job.acceptedAt) / 1000)
      this.#inference.observe((now - startedAt) / 1000)
      this.#total.observe((now - job.acceptedAt) / 1000)
    }
    this.#jobsTotal.inc({ outcome })
    this.#emit(job)
    job.listeners?.clear()
    job.complete?.()
    job.controller = undefined
    job.listeners = undefined
    job.completion = undefined
    job.complete = undefined
    this.#finished.push(job)
    this.#prune()
    this.#onJobFinished?.(this.#record(job))
  }

  /** Forgets finished jobs past their retention (age or count), oldest first. */
  #prune(): void {
    const horizon = this.#now() - this.#resultTtlMs
    while (
      this.#finished.length > this.#maxFinishedJobs ||
      (this.#finished.length > 0 && (this.#finished[0]!.finishedAt ?? 0) <= horizon)
    ) {
      this.#jobs.delete(this.#finished.shift()!.id)
    }
  }

  #progress(job: Job, step: number, totalSteps: number): void {
    if (job.state !== 'IN_PROGRESS') return
    job.progress = { step: Math.max(0, Math.min(step, totalSteps)), total_steps: Math.max(1, totalSteps) }
    this.#emit(job)
  }

  #notifyPositions(from: number): void {
    for (let index = from; index < this.#waiting.length; index += 1) this.#emit(this.#waiting[index]!)
  }

  #emit(job: Job): void {
    const { listeners } = job
    if (!listeners || listeners.size === 0) return
    const record = this.#record(job)
    for (const listener of listeners) listener(record)
  }

  #record(job: Job): JobRecord {
    const record: { -readonly [K in keyof JobRecord]: JobRecord[K] } = {
      id: job.id,
      owner: job.owner,
      input: job.input,
      state: job.state,
      queuePosition: job.state === 'IN_QUEUE' ? Math.max(0, this.#waiting.indexOf(job)) : 0,
      progress: { step: job.progress.step, total_steps: job.progress.total_steps },
      logs: job.logs.slice(),
      acceptedAt: job.acceptedAt,
    }
    // Set one by one, in this order, rather than spread from objects made for the purpose: records are made on
    // every read of a job.
    if (job.outcome) record.outcome = job.outcome
    if (job.images) record.images = job.images
    if (job.timings) record.timings = job.timings
    if (job.error) record.error = job.error
    if (job.finishedAt !== undefined) record.finishedAt = job.finishedAt
    if (job.webhook) record.webhook = job.webhook
    return record
  }
}

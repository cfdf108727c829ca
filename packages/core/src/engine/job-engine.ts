import { type Backend, BackendError, type BackendImage } from '../backend.js'
import { HttpProblem, ValidationProblem } from '../errors.js'
import { MetricsRegistry } from '../metrics/registry.js'
import type { ImageStore } from '../store/image-store.js'
import type { LogLine, Progress, ResolvedGenerateRequest, Timings } from '../types.js'
import { contentKey } from './content-key.js'
import { IdempotencyLedger } from './idempotency.js'
import type { JobImage, JobListener, JobOutcome, JobSnapshot, JobState } from './job.js'

/** Options of {@link JobEngine}. */
export interface JobEngineOptions {
  /** Where images come from. */
  backend: Backend
  /** Where finished images are kept for `/files/{key}`. */
  store: ImageStore
  /** Jobs allowed to wait; one more is answered 429 with `Retry-After`. @default 64 */
  maxQueueSize?: number
  /** Longest a job may run on the backend before it ends in 504. @default 60000 */
  jobTimeoutMs?: number
  /** Times a job is handed to the backend again after the backend became unavailable mid-job. @default 3 */
  maxAttempts?: number
  /** How long finished jobs stay readable through the queue routes. @default 3600000 */
  resultTtlMs?: number
  /** How long an `Idempotency-Key` is remembered. @default 86400000 */
  idempotencyTtlMs?: number
  /** Metrics registry to record into. @default a new one */
  metrics?: MetricsRegistry
  /** Clock in milliseconds (tests inject one). @default performance.now-based wall clock */
  now?: () => number
  /** Id factory for new jobs. @default crypto.randomUUID */
  createId?: () => string
  /** Called when a job ran past its timeout, after it was aborted (the server restarts a hung backend here). */
  onJobTimeout?: (jobId: string) => void
  /** Called once with the final snapshot of every job that completes (succeeded, failed or cancelled). */
  onJobFinished?: (snapshot: JobSnapshot) => void
}

/** How a caller asks for a job. */
export interface SubmitOptions {
  /** The `Idempotency-Key` header, if any. */
  idempotencyKey?: string
  /** Fingerprint of the request (route + body) that the key must match. */
  fingerprint?: string
}

interface Job {
  id: string
  input: ResolvedGenerateRequest
  state: JobState
  progress: Progress
  logs: LogLine[]
  outcome?: JobOutcome
  image?: JobImage
  timings?: Timings
  error?: HttpProblem
  attempts: number
  acceptedAt: number
  startedAt?: number
  finishedAt?: number
  controller: AbortController
  listeners: Set<JobListener>
  completion: Promise<void>
  complete: () => void
}

const cancelledReason = (): HttpProblem => new HttpProblem(400, 'Request was cancelled')

/** Why a job failed, as the `kind` label of `genimage_errors_total`. */
const failureKind = (error: unknown): string => {
  if (error instanceof BackendError) return error.kind
  if (error instanceof Error && error.name === 'TimeoutError') return 'timeout'
  if (error instanceof HttpProblem) return `http_${error.status}`
  return 'internal'
}

const problemFromBackend = (error: unknown, timeoutMs: number): HttpProblem => {
  if (error instanceof HttpProblem) return error
  if (error instanceof BackendError) {
    switch (error.kind) {
      case 'timeout':
        return new HttpProblem(504, `Generation timed out: ${error.message}`)
      case 'unavailable':
        return new HttpProblem(503, `Image backend unavailable: ${error.message}`, { 'Retry-After': '5' })
      case 'invalid_input':
        return new ValidationProblem([{ loc: ['body'], msg: error.message, type: 'value_error' }])
      case 'out_of_memory':
        return new HttpProblem(502, `Generation failed, out of GPU memory: ${error.message}`)
      default:
        return new HttpProblem(502, `Generation failed: ${error.message}`)
    }
  }
  if (error instanceof Error && error.name === 'TimeoutError') {
    return new HttpProblem(504, `Generation timed out after ${timeoutMs} ms`)
  }
  return new HttpProblem(500, 'Internal server error')
}

const defaultNow = (): number =>
  typeof performance !== 'undefined' ? performance.timeOrigin + performance.now() : Date.now()

/** Finished jobs kept readable at most, whatever their age. */
const MAX_RETAINED_JOBS = 10_000

const round = (ms: number): number => Math.round(ms * 10) / 10

/**
 * The queue between HTTP and a {@link Backend}: FIFO order with positions, step progress, cancel of queued and
 * running jobs, a bounded queue (429), per-job timeouts (504), resubmission when the backend restarts,
 * `Idempotency-Key` joins, and metrics.
 * @example
 * const engine = new JobEngine({ backend: createSyntheticBackend(), store: new MemoryImageStore() })
 * const job = engine.submit(resolveGenerateRequest({ prompt: 'a fox' }))
 * await engine.waitFor(job.id)
 */
export class JobEngine {
  readonly backend: Backend
  readonly store: ImageStore
  readonly metrics: MetricsRegistry
  readonly #waiting: Job[] = []
  readonly #jobs = new Map<string, Job>()
  readonly #finished: Job[] = []
  readonly #ledger: IdempotencyLedger
  readonly #maxQueueSize: number
  readonly #jobTimeoutMs: number
  readonly #maxAttempts: number
  readonly #resultTtlMs: number
  readonly #now: () => number
  readonly #createId: () => string
  readonly #onJobTimeout: ((jobId: string) => void) | undefined
  readonly #onJobFinished: ((snapshot: JobSnapshot) => void) | undefined
  #running = 0
  #draining = false
  #recentDurationsMs: number[] = []
  readonly #jobsTotal
  readonly #errorsTotal
  readonly #queueWait
  readonly #inference
  readonly #total

  constructor(options: JobEngineOptions) {
    this.backend = options.backend
    this.store = options.store
    this.metrics = options.metrics ?? new MetricsRegistry()
    this.#maxQueueSize = options.maxQueueSize ?? 64
    this.#jobTimeoutMs = options.jobTimeoutMs ?? 60_000
    this.#maxAttempts = options.maxAttempts ?? 3
    this.#resultTtlMs = options.resultTtlMs ?? 3_600_000
    this.#now = options.now ?? defaultNow
    this.#createId = options.createId ?? (() => crypto.randomUUID())
    this.#onJobTimeout = options.onJobTimeout
    this.#onJobFinished = options.onJobFinished
    this.#ledger = new IdempotencyLedger(options.idempotencyTtlMs ?? 86_400_000, this.#now)
    this.#jobsTotal = this.metrics.counter('genimage_jobs_total', 'Finished jobs by outcome.')
    this.#errorsTotal = this.metrics.counter(
      'genimage_errors_total',
      'Failed jobs by kind (out_of_memory, execution_failed, timeout, unavailable, invalid_input, internal).',
    )
    this.#queueWait = this.metrics.histogram('genimage_queue_wait_seconds', 'Time jobs waited in the queue.')
    this.#inference = this.metrics.histogram('genimage_inference_seconds', 'Time jobs ran on the backend.')
    this.#total = this.metrics.histogram('genimage_job_duration_seconds', 'Time from accepting a job to finishing it.')
    this.metrics.gauge('genimage_queue_depth', 'Jobs waiting in the queue.', () => this.#waiting.length)
    this.metrics.gauge('genimage_jobs_running', 'Jobs running on the backend.', () => this.#running)
  }

  /** Jobs waiting to run. */
  get queueDepth(): number {
    return this.#waiting.length
  }

  /** Jobs handed to the backend and not yet finished. */
  get running(): number {
    return this.#running
  }

  /** True after {@link drain} was called: new jobs are refused with 503. */
  get draining(): boolean {
    return this.#draining
  }

  /**
   * Accepts a job, or joins the running or succeeded job an idempotency key already started (a failed or cancelled
   * one is run again, so a client retry after 502/504 can succeed).
   * Throws 429 when the queue is full, 503 while draining, 409 on an idempotency key reused with another body.
   */
  submit(input: ResolvedGenerateRequest, options: SubmitOptions = {}): JobSnapshot {
    const { idempotencyKey, fingerprint = '' } = options
    if (idempotencyKey !== undefined) {
      const existingId = this.#ledger.lookup(idempotencyKey, fingerprint)
      const existing = existingId === undefined ? undefined : this.#jobs.get(existingId)
      // A running or succeeded job is joined; a failed or cancelled one is retried under the same key.
      if (existing && (existing.state !== 'COMPLETED' || existing.outcome === 'succeeded'))
        return this.#snapshot(existing)
    }
    if (this.#draining) throw new HttpProblem(503, 'Server is draining and accepts no new work', { 'Retry-After': '5' })
    const state = this.backend.state()
    // While restarting, jobs wait in the queue; before the first start completes, callers are told to come back.
    if (state === 'starting' || state === 'warming_up' || state === 'stopped') {
      throw new HttpProblem(
        503,
        `Server is not ready: the ${this.backend.name} backend is ${state.replace('_', ' ')}`,
        {
          'Retry-After': '5',
        },
      )
    }
    if (this.#waiting.length >= this.#maxQueueSize) {
      const retryAfter = this.#retryAfterSeconds()
      throw new HttpProblem(429, `Queue is full (${this.#waiting.length} waiting); retry after ${retryAfter} s`, {
        'Retry-After': String(retryAfter),
      })
    }
    let complete = (): void => {}
    const completion = new Promise<void>((resolve) => {
      complete = resolve
    })
    const job: Job = {
      id: this.#createId(),
      input,
      state: 'IN_QUEUE',
      progress: { step: 0, total_steps: input.num_inference_steps },
      logs: [],
      attempts: 0,
      acceptedAt: this.#now(),
      controller: new AbortController(),
      listeners: new Set(),
      completion,
      complete,
    }
    this.#jobs.set(job.id, job)
    this.#waiting.push(job)
    if (idempotencyKey !== undefined) this.#ledger.record(idempotencyKey, fingerprint, job.id)
    this.#pump()
    return this.#snapshot(job)
  }

  /** The job's current snapshot, or `undefined` for an unknown (or expired) id. */
  get(id: string): JobSnapshot | undefined {
    const job = this.#jobs.get(id)
    return job ? this.#snapshot(job) : undefined
  }

  /** Resolves with the final snapshot once the job completes; rejects with the signal's reason when aborted first. */
  async waitFor(id: string, signal?: AbortSignal): Promise<JobSnapshot> {
    const job = this.#require(id)
    if (signal) {
      signal.throwIfAborted()
      await new Promise<void>((resolve, reject) => {
        const onAbort = (): void => reject(signal.reason)
        signal.addEventListener('abort', onAbort, { once: true })
        void job.completion.then(() => {
          signal.removeEventListener('abort', onAbort)
          resolve()
        })
      })
    } else {
      await job.completion
    }
    return this.#snapshot(job)
  }

  /** Calls `listener` with each change of the job until it completes; returns the unsubscribe function. */
  subscribe(id: string, listener: JobListener): () => void {
    const job = this.#require(id)
    job.listeners.add(listener)
    return () => job.listeners.delete(listener)
  }

  /**
   * Cancels a job: a queued one is removed at once, a running one is aborted on the backend.
   * Returns `false` when the job had already completed.
   */
  cancel(id: string): boolean {
    const job = this.#require(id)
    if (job.state === 'COMPLETED') return false
    const index = this.#waiting.indexOf(job)
    if (index >= 0) this.#waiting.splice(index, 1)
    job.controller.abort(cancelledReason())
    this.#finish(job, 'cancelled', { error: cancelledReason() })
    if (index >= 0) this.#notifyPositions(index)
    return true
  }

  /** Stops accepting jobs and resolves when every accepted job has completed. */
  async drain(): Promise<void> {
    this.#draining = true
    await Promise.all([...this.#jobs.values()].map((job) => job.completion))
  }

  #require(id: string): Job {
    const job = this.#jobs.get(id)
    if (!job) throw new HttpProblem(404, `Request ${id} not found`)
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
    this.#emit(job)
    const timeout = setTimeout(() => {
      const reason = new DOMException(`Generation timed out after ${this.#jobTimeoutMs} ms`, 'TimeoutError')
      job.controller.abort(reason)
      this.#onJobTimeout?.(job.id)
    }, this.#jobTimeoutMs)
    try {
      const image = await this.backend.run({
        id: job.id,
        input: job.input,
        signal: job.controller.signal,
        reportProgress: (step, totalSteps) => this.#progress(job, step, totalSteps),
        log: (message, level = 'INFO') => this.#log(job, message, level),
      })
      job.controller.signal.throwIfAborted()
      await this.#succeed(job, image)
    } catch (error) {
      const reason = job.controller.signal.aborted ? job.controller.signal.reason : error
      if (reason instanceof BackendError && reason.kind === 'unavailable' && job.attempts < this.#maxAttempts) {
        this.#log(job, `Backend unavailable (${reason.message}); resubmitting`, 'WARN')
        job.state = 'IN_QUEUE'
        this.#waiting.unshift(job)
        this.#notifyPositions(0)
      } else {
        // #finish ignores a job that a cancel already completed.
        this.#errorsTotal.inc({ kind: failureKind(reason) })
        this.#finish(job, 'failed', { error: problemFromBackend(reason, this.#jobTimeoutMs) })
      }
    } finally {
      clearTimeout(timeout)
      this.#running -= 1
      this.#pump()
    }
  }

  async #succeed(job: Job, result: BackendImage): Promise<void> {
    const encodeStart = this.#now()
    const key = result.key ?? (await contentKey(result.bytes, result.contentType))
    await this.store.put(key, { bytes: result.bytes, contentType: result.contentType })
    if (job.state === 'COMPLETED') return
    const image: JobImage = {
      key,
      contentType: result.contentType,
      fileSize: result.bytes.byteLength,
      width: result.width,
      height: result.height,
    }
    if (job.input.sync_mode) image.inlineBytes = result.bytes
    const storeMs = this.#now() - encodeStart
    this.#finish(job, 'succeeded', { image, inferenceMs: result.inferenceMs, encodeMs: result.encodeMs + storeMs })
  }

  #finish(
    job: Job,
    outcome: JobOutcome,
    details: { image?: JobImage; error?: HttpProblem; inferenceMs?: number; encodeMs?: number },
  ): void {
    if (job.state === 'COMPLETED') return
    const now = this.#now()
    const startedAt = job.startedAt ?? now
    job.state = 'COMPLETED'
    job.outcome = outcome
    job.finishedAt = now
    job.image = details.image
    job.error = details.error
    job.timings = {
      queue_ms: round(startedAt - job.acceptedAt),
      inference_ms: round(details.inferenceMs ?? now - startedAt),
      encode_ms: round(details.encodeMs ?? 0),
      total_ms: round(now - job.acceptedAt),
    }
    if (outcome === 'succeeded') {
      job.progress = { step: job.progress.total_steps, total_steps: job.progress.total_steps }
      this.#recentDurationsMs = [...this.#recentDurationsMs.slice(-19), now - startedAt]
      this.#queueWait.observe((startedAt - job.acceptedAt) / 1000)
      this.#inference.observe((now - startedAt) / 1000)
      this.#total.observe((now - job.acceptedAt) / 1000)
    }
    this.#jobsTotal.inc({ outcome })
    this.#emit(job)
    job.listeners.clear()
    job.complete()
    this.#retain(job)
    this.#onJobFinished?.(this.#snapshot(job))
  }

  #retain(job: Job): void {
    this.#finished.push(job)
    const horizon = this.#now() - this.#resultTtlMs
    while (
      this.#finished.length > MAX_RETAINED_JOBS ||
      (this.#finished.length > 0 && (this.#finished[0]!.finishedAt ?? 0) < horizon)
    ) {
      this.#jobs.delete(this.#finished.shift()!.id)
    }
  }

  #progress(job: Job, step: number, totalSteps: number): void {
    if (job.state !== 'IN_PROGRESS') return
    job.progress = { step: Math.max(0, Math.min(step, totalSteps)), total_steps: Math.max(1, totalSteps) }
    this.#emit(job)
  }

  #log(job: Job, message: string, level: LogLine['level']): void {
    job.logs.push({ message, level, timestamp: new Date().toISOString() })
  }

  #notifyPositions(from: number): void {
    for (let index = from; index < this.#waiting.length; index += 1) this.#emit(this.#waiting[index]!)
  }

  #emit(job: Job): void {
    if (job.listeners.size === 0) return
    const snapshot = this.#snapshot(job)
    for (const listener of job.listeners) listener(snapshot)
  }

  #snapshot(job: Job): JobSnapshot {
    return {
      id: job.id,
      input: job.input,
      state: job.state,
      queuePosition: job.state === 'IN_QUEUE' ? Math.max(0, this.#waiting.indexOf(job)) : 0,
      progress: { ...job.progress },
      logs: [...job.logs],
      outcome: job.outcome,
      image: job.image,
      timings: job.timings,
      error: job.error,
    }
  }
}

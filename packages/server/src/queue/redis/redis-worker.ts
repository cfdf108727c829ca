import { hostname } from 'node:os'
import { setTimeout as delay } from 'node:timers/promises'
import {
  type Backend,
  type ImageStore,
  type JobError,
  type JobRecord,
  jobErrorOf,
  jobErrors,
  MetricsRegistry,
  runJob,
  samplingSteps,
} from '@genimage/core'
import { type Job, UnrecoverableError, Worker } from 'bullmq'
import type { Redis } from 'ioredis'
import { atMost, CLOSE_TIMEOUT_MS, openRedis } from './connection.js'
import { type GenimageKeys, genimageKeys } from './keys.js'
import { HEARTBEAT_MS, publishPresence, withdrawPresence } from './presence.js'
import {
  type FailureData,
  failedRecord,
  failureOf,
  type JobData,
  MAX_LOG_LINES,
  type ProgressData,
  type ResultData,
  succeededRecord,
} from './records.js'
import type { RedisQueueLocation } from './redis-job-queue.js'

/** Options of {@link RedisQueueWorker}. */
export interface RedisQueueWorkerOptions extends RedisQueueLocation {
  /** The backend jobs run on; the worker takes a job only while fewer than `backend.concurrency` run. */
  backend: Backend
  /** Where images go (a directory every API node reads, or S3): never Redis. */
  store: ImageStore
  /** Longest a job may run before it fails with 504. @default 60000 */
  jobTimeoutMs?: number
  /**
   * A worker that stops renewing its lock on a job for this long (killed, frozen, cut off) loses it: another worker
   * runs it again under the same request id. Also the period of the stalled-job check. @default 30000
   */
  lockMs?: number
  /** Registry this worker's metrics are recorded into. @default a new one */
  metrics?: MetricsRegistry
  /** Called when a job ran past its timeout (the server restarts a hung ComfyUI here). */
  onJobTimeout?: (jobId: string) => void
  /**
   * Called with the final record of each job this worker ends, awaited before the job is marked completed in Redis
   * (so a crash in between runs the job again and calls it again): the webhook notifier. Must not reject.
   */
  onJobCompleted?: (record: JobRecord) => Promise<void>
  /** Called once per job this worker finished (not when it was interrupted by a shutdown). */
  onJobFinished?: (event: { id: string; error?: JobError; attempt: number }) => void
  /** Called when Redis cannot be reached. */
  onRedisError?: (error: Error) => void
  /** Clock in epoch milliseconds for the job's start and finish (tests move it). @default Date.now */
  now?: () => number
}

/** What a worker reports on its own `/ready`. */
export interface WorkerHealth {
  /** The backend's state. */
  state: ReturnType<Backend['state']>
  /** Whether Redis is connected. */
  redis: boolean
  /** True once {@link RedisQueueWorker.drain} was called. */
  draining: boolean
  /** Jobs running now. */
  running: number
}

/** Durations of recent successful jobs kept for the throughput estimate. */
const RECENT_JOBS = 20

/** Longest an idle worker blocks on BullMQ's marker before it looks at the wait list again, in seconds. */
const IDLE_BLOCK_S = 5

/** Wait before a fetch or a hand-back is tried again while Redis is unreachable. */
const RETRY_MS = 1000

/** A job this worker took: its lock token and the controller that interrupts it. */
interface Taken {
  job: Job<JobData, ResultData>
  token: string
  controller: AbortController
  /** Its lock went to another worker (this one stalled): that worker's run decides, this one writes nothing. */
  lost: boolean
}

/**
 * Pulls jobs from the BullMQ queue and runs them on a backend with core's `runJob`: progress and logs go to the job
 * (and so to every API node's `watch`), images to the store, failures to the job as plain JSON.
 *
 * It takes a job only while the backend has room for one (`backend.concurrency`, read before every fetch: the
 * ComfyUI batcher makes room for a batch only while the GPU is idle), so a job that reports `IN_QUEUE` stays in
 * Redis, with its queue position, until some worker can start it: BullMQ's manual fetching (`getNextJob` without
 * blocking, a blocking wait on the queue's marker while nothing waits, lock renewal and the stalled-job check run
 * here). It stops a running job when its owner cancels it (a pub/sub message, and a marker it re-checks each
 * second), publishes its presence and measured job durations for `/ready` and Retry-After, and on {@link drain}
 * finishes its running jobs and takes no new ones. A killed worker's jobs run again elsewhere once its lock lapses
 * (BullMQ's stalled-job check).
 * @example
 * const worker = new RedisQueueWorker({ url, backend, store })
 * await worker.start()
 * worker.run()
 */
export class RedisQueueWorker {
  /** This worker's id in Redis and in logs. */
  readonly id = `${hostname()}:${process.pid}:${crypto.randomUUID().slice(0, 8)}`
  /** The registry this worker records into. */
  readonly metrics: MetricsRegistry
  readonly #options: RedisQueueWorkerOptions
  readonly #keys: GenimageKeys
  readonly #redis: Redis
  readonly #subscriber: Redis
  readonly #worker: Worker<JobData, ResultData>
  /** Blocks on the queue's marker while nothing waits (a connection of its own: blocking commands hold it). */
  readonly #markers: Redis
  readonly #lockMs: number
  readonly #running = new Map<string, Taken>()
  readonly #now: () => number
  #recentMs: number[] = []
  #heartbeat: NodeJS.Timeout | undefined
  #lockRenewal: NodeJS.Timeout | undefined
  #fetching: Promise<void> | undefined
  /** Wakes the fetch loop when it waits for room (a job ended, the backend's concurrency may have risen). */
  #wake: (() => void) | undefined
  /** Stops listening to the backend's capacity (a batch leaving the GPU opens room without a job ending). */
  #offCapacity: (() => void) | undefined
  /** Resolves when the last running job ended. */
  #idle: (() => void) | undefined
  #tokens = 0
  #draining = false
  readonly #jobsTotal
  readonly #errorsTotal
  readonly #inference
  readonly #queueWait

  constructor(options: RedisQueueWorkerOptions) {
    this.#options = options
    this.#now = options.now ?? Date.now
    const name = options.name ?? 'generate'
    const prefix = options.prefix ?? 'genimage'
    this.#lockMs = options.lockMs ?? 30_000
    this.#keys = genimageKeys(prefix, name)
    const onError = options.onRedisError
    this.#redis = openRedis(options.url, { kind: 'commands', onError, name: `${prefix}:worker` })
    this.#subscriber = openRedis(options.url, { kind: 'blocking', onError, name: `${prefix}:worker-cancels` })
    this.#markers = openRedis(options.url, { kind: 'blocking', onError, name: `${prefix}:worker-markers` })
    // No processor: this class fetches, renews locks and finishes jobs itself (BullMQ's manual fetching).
    this.#worker = new Worker<JobData, ResultData>(name, undefined, {
      connection: openRedis(options.url, { kind: 'blocking', onError, name: `${prefix}:worker-jobs` }),
      prefix,
      name: this.id,
      autorun: false,
      lockDuration: this.#lockMs,
      stalledInterval: this.#lockMs,
      maxStalledCount: 2,
    })
    this.#worker.on('error', (error) => onError?.(error))
    this.metrics = options.metrics ?? new MetricsRegistry()
    this.#jobsTotal = this.metrics.counter('genimage_jobs_total', 'Jobs this worker finished, by outcome.')
    this.#errorsTotal = this.metrics.counter('genimage_errors_total', 'Jobs this worker failed, by kind.')
    this.#inference = this.metrics.histogram('genimage_inference_seconds', 'Time jobs ran on the backend.')
    this.#queueWait = this.metrics.histogram('genimage_queue_wait_seconds', 'Time jobs waited in the queue.')
    this.metrics.gauge('genimage_jobs_running', 'Jobs running on this worker.', () => this.#running.size)
  }

  /** Listens for cancels and starts publishing presence; call {@link run} once the backend is ready. */
  async start(): Promise<void> {
    this.#subscriber.on('message', (_channel: string, id: string) => void this.cancelLocal(id))
    this.#offCapacity ??= this.#options.backend.onCapacity?.(() => this.#wake?.())
    await this.#subscriber.subscribe(this.#keys.cancelChannel).catch(() => {})
    this.#heartbeat = setInterval(() => {
      // The backend's room can grow without a job ending (a batch left the GPU): look again each beat.
      this.#wake?.()
      void this.#beat()
    }, HEARTBEAT_MS)
    this.#heartbeat.unref()
    await this.#beat()
  }

  /** Starts taking jobs (the backend must be ready), the stalled-job check and lock renewal. */
  run(): void {
    if (this.#fetching || this.#draining) return
    void this.#worker.startStalledCheckTimer().catch((error: Error) => this.#options.onRedisError?.(error))
    this.#lockRenewal = setInterval(() => void this.#renewLocks(), this.#lockMs / 2)
    this.#lockRenewal.unref()
    this.#fetching = this.#fetchLoop()
    void this.#beat()
  }

  /** The backend's name (`synthetic`, `comfyui`). */
  get backendName(): string {
    return this.#options.backend.name
  }

  /** This worker's state for its `/ready`. */
  health(): WorkerHealth {
    return {
      state: this.#options.backend.state(),
      redis: this.#redis.status === 'ready',
      draining: this.#draining,
      running: this.#running.size,
    }
  }

  /**
   * Takes no new jobs and waits up to `graceMs` (without it: as long as it takes) for the running ones to finish;
   * those still running then are ended as failed, kind `dropped` (503: submit again). Resolves with their number.
   */
  async drain(graceMs?: number): Promise<number> {
    this.#draining = true
    this.#wake?.()
    // A fetch blocked on the marker ends now; one that was moving a job to active hands it back (see the loop).
    this.#markers.disconnect()
    await this.#beat()
    if (graceMs === undefined) {
      await this.#allEnded()
      return 0
    }
    let timer: NodeJS.Timeout | undefined
    const graceOver = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, graceMs)
    })
    await Promise.race([this.#allEnded(), graceOver])
    clearTimeout(timer)
    const dropped = [...this.#running.values()]
    for (const { controller } of dropped) controller.abort(jobErrors.dropped(graceMs))
    // Their failures are written if Redis answers; if not, their locks lapse and other workers run them again.
    await atMost(this.#allEnded(), CLOSE_TIMEOUT_MS)
    return dropped.length
  }

  /** Interrupts job `id` if it runs on this worker (its owner cancelled it); false when it does not run here. */
  cancelLocal(id: string): boolean {
    const taken = this.#running.get(id)
    if (!taken) return false
    taken.controller.abort('cancelled')
    return true
  }

  /** Stops fetching, beating and renewing locks, withdraws this worker's presence and closes its connections. */
  async close(): Promise<void> {
    this.#draining = true
    this.#offCapacity?.()
    this.#wake?.()
    clearInterval(this.#heartbeat)
    clearInterval(this.#lockRenewal)
    this.#markers.disconnect()
    await atMost(withdrawPresence(this.#redis, this.#keys, this.id), CLOSE_TIMEOUT_MS)
    await atMost(this.#worker.close(true), CLOSE_TIMEOUT_MS)
    await atMost(this.#fetching ?? Promise.resolve(), CLOSE_TIMEOUT_MS)
    this.#subscriber.disconnect()
    this.#redis.disconnect()
  }

  /** Whether the backend has room for one more job now (it may change with every hand-over). */
  #hasRoom(): boolean {
    return !this.#draining && this.#running.size < Math.max(1, this.#options.backend.concurrency ?? 1)
  }

  /**
   * Takes jobs while the backend has room: the oldest waiting job at once (no blocking, so none is taken that the
   * backend has no room for), otherwise a blocking wait on BullMQ's marker, which every added or returned job sets.
   */
  async #fetchLoop(): Promise<void> {
    const markerKey = this.#worker.keys['marker']!
    while (!this.#draining) {
      if (!this.#hasRoom()) {
        await new Promise<void>((resolve) => {
          this.#wake = resolve
        })
        this.#wake = undefined
        continue
      }
      const token = `${this.id}:${this.#tokens++}`
      let job: Job<JobData, ResultData> | undefined
      try {
        job = await this.#worker.getNextJob(token, { block: false })
      } catch (error) {
        this.#options.onRedisError?.(error as Error)
        await delay(RETRY_MS)
        continue
      }
      if (job) {
        // A drain that began while the job was being moved: it goes back to the wait list for other workers.
        if (this.#draining) await job.moveToWait(token).catch(() => {})
        else this.#take(job, token)
        // Let the backend take the job (the ComfyUI pool hands it over a few microtasks later), then ask again.
        await new Promise((resolve) => setImmediate(resolve))
        continue
      }
      try {
        const popped = await this.#markers.bzpopmin(markerKey, IDLE_BLOCK_S)
        // The wake-up was meant for a worker with room: if ours filled meanwhile, leave it for another one.
        if (popped && !this.#hasRoom()) await this.#markers.zadd(markerKey, popped[2], popped[1])
      } catch (error) {
        if (this.#draining) break
        this.#options.onRedisError?.(error as Error)
        await delay(RETRY_MS)
      }
    }
  }

  /** Starts job `job` (whose lock `token` holds) on the backend and finishes it in Redis when it ends. */
  #take(job: Job<JobData, ResultData>, token: string): void {
    const taken: Taken = { job, token, controller: new AbortController(), lost: false }
    this.#running.set(job.id!, taken)
    void this.#process(job, taken.controller.signal)
      .then(
        async (result) => {
          if (taken.lost) return
          await this.#completed(job, result)
          await this.#finish(() => job.moveToCompleted(result, token, false))
        },
        async (error: Error) => {
          if (taken.lost) return
          await this.#completed(job, error)
          await this.#finish(() => job.moveToFailed(error, token, false))
        },
      )
      .finally(() => {
        this.#running.delete(job.id!)
        this.#wake?.()
        if (this.#running.size > 0) return
        const idle = this.#idle
        this.#idle = undefined
        idle?.()
      })
  }

  /**
   * Writes a job's end to Redis, retrying while Redis is unreachable for as long as the job's lock lasts (after
   * that another worker holds the job, and its run decides).
   */
  async #finish(write: () => Promise<unknown>): Promise<void> {
    const until = Date.now() + this.#lockMs
    for (;;) {
      try {
        await write()
        return
      } catch (error) {
        this.#options.onRedisError?.(error as Error)
        if (this.#redis.status === 'ready' || Date.now() + RETRY_MS >= until) return
        await delay(RETRY_MS)
      }
    }
  }

  /** Renews the locks of the running jobs; one whose lock another worker took (it stalled) is interrupted. */
  async #renewLocks(): Promise<void> {
    const taken = [...this.#running.values()]
    if (taken.length === 0) return
    const ids = taken.map(({ job }) => job.id!)
    const lost = await this.#worker
      .extendJobLocks(
        ids,
        taken.map(({ token }) => token),
        this.#lockMs,
      )
      .catch((error: Error) => {
        this.#options.onRedisError?.(error)
        return []
      })
    for (const id of lost) {
      const stalled = this.#running.get(id)
      if (!stalled) continue
      this.#options.onRedisError?.(new Error(`lost the lock of job ${id}: another worker runs it again`))
      stalled.lost = true
      stalled.controller.abort(jobErrors.dropped(this.#lockMs))
    }
  }

  /** Resolves once no job runs here. */
  #allEnded(): Promise<void> {
    if (this.#running.size === 0) return Promise.resolve()
    return new Promise((resolve) => {
      const previous = this.#idle
      this.#idle = () => {
        previous?.()
        resolve()
      }
    })
  }

  async #process(job: Job<JobData, ResultData>, signal: AbortSignal): Promise<ResultData> {
    const id = job.id!
    const { input } = job.data
    const progress: ProgressData = { step: 0, total_steps: samplingSteps(input), logs: [] }
    // Progress updates are chained (in order) and coalesced (the newest wins while one is in flight).
    let reported: Promise<unknown> = Promise.resolve()
    let queued = false
    const report = (): void => {
      if (queued) return
      queued = true
      reported = reported
        .then(() => {
          queued = false
          return job.updateProgress({ ...progress, logs: [...progress.logs] })
        })
        .catch(() => {})
    }
    let startedAt: number | undefined
    try {
      // A job cancelled while a worker was taking it: checked alongside the run (not before it, a round trip saved
      // on every job), which it interrupts at once.
      void this.#cancelled(id).then((cancelled) => cancelled && this.cancelLocal(id))
      if (job.attemptsStarted > 1) {
        progress.logs.push({
          message: `Running again on worker ${this.id} (attempt ${job.attemptsStarted})`,
          level: 'WARN',
          timestamp: new Date().toISOString(),
        })
        report()
      }
      startedAt = this.#now()
      this.#queueWait.observe(Math.max(0, startedAt - job.data.acceptedAt) / 1000)
      const { images, timings } = await runJob({
        backend: this.#options.backend,
        store: this.#options.store,
        job: { id, input },
        signal,
        timeoutMs: this.#options.jobTimeoutMs ?? 60_000,
        onProgress: (step, totalSteps) => {
          progress.step = Math.max(0, Math.min(step, totalSteps))
          progress.total_steps = Math.max(1, totalSteps)
          report()
        },
        onLog: (line) => {
          progress.logs = [...progress.logs, line].slice(-MAX_LOG_LINES)
          report()
        },
        onTimeout: () => this.#options.onJobTimeout?.(id),
      })
      // Not awaited: progress and completion go over the same connection, in order.
      const finishedAt = this.#now()
      this.#recentMs = [...this.#recentMs.slice(1 - RECENT_JOBS), finishedAt - startedAt]
      this.#inference.observe((finishedAt - startedAt) / 1000)
      this.#jobsTotal.inc({ outcome: 'succeeded' })
      this.#options.onJobFinished?.({ id, attempt: job.attemptsStarted })
      return { images, timings, startedAt, finishedAt }
    } catch (thrown) {
      const error = jobErrorOf(thrown)
      const failure: FailureData = { error, finishedAt: this.#now(), ...(startedAt === undefined ? {} : { startedAt }) }
      const attempts = job.opts.attempts ?? 1
      // A backend that went away mid-job (ComfyUI restarting): BullMQ queues the job again, up to its attempts.
      if (error.kind === 'unavailable' && job.attemptsMade + 1 < attempts) throw new Error(JSON.stringify(failure))
      this.#jobsTotal.inc({ outcome: error.kind === 'cancelled' ? 'cancelled' : 'failed' })
      if (error.kind !== 'cancelled') this.#errorsTotal.inc({ kind: error.kind })
      this.#options.onJobFinished?.({ id, error, attempt: job.attemptsStarted })
      throw new UnrecoverableError(JSON.stringify(failure))
    }
  }

  /**
   * Reports the final record of a job that ended here to {@link RedisQueueWorkerOptions.onJobCompleted}, before its
   * end is written to Redis; `outcome` is what `#process` resolved with, or the {@link UnrecoverableError} it threw.
   */
  async #completed(job: Job<JobData, ResultData>, outcome: ResultData | Error): Promise<void> {
    const report = this.#options.onJobCompleted
    if (!report || (outcome instanceof Error && !(outcome instanceof UnrecoverableError))) return
    const { owner, input, acceptedAt, webhook } = job.data
    const running: JobRecord = {
      id: job.id!,
      owner,
      input,
      state: 'IN_PROGRESS',
      queuePosition: 0,
      progress: { step: 0, total_steps: 1 },
      logs: [],
      acceptedAt,
      ...(webhook && { webhook }),
    }
    if (!(outcome instanceof Error)) return report(succeededRecord(running, outcome))
    const failure = failureOf(outcome.message)
    return report(failedRecord(running, failure, failure.finishedAt ?? this.#now()))
  }

  /** Whether the job's owner cancelled it (false while Redis cannot say: the pub/sub message still reaches us). */
  async #cancelled(id: string): Promise<boolean> {
    return (await this.#redis.exists(this.#keys.cancelMarker(id)).catch(() => 0)) === 1
  }

  async #beat(): Promise<void> {
    const mean =
      this.#recentMs.length === 0 ? undefined : this.#recentMs.reduce((a, b) => a + b, 0) / this.#recentMs.length
    const { backend } = this.#options
    await publishPresence(this.#redis, this.#keys, {
      id: this.id,
      backend: backend.name,
      state: backend.state(),
      concurrency: Math.max(1, backend.concurrency ?? 1),
      running: this.#running.size,
      ...(mean === undefined ? {} : { meanJobMs: Math.round(mean) }),
      draining: this.#draining,
    }).catch(() => {})
    // A cancel published while our subscriber was reconnecting is caught here, within a heartbeat.
    for (const id of [...this.#running.keys()]) if (await this.#cancelled(id)) this.cancelLocal(id)
  }
}

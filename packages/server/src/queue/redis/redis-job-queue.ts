import { createHash } from 'node:crypto'
import { once } from 'node:events'
import {
  type CancelResult,
  type DrainReport,
  type JobOwner,
  type JobQueue,
  type JobRecord,
  type JobRecordListener,
  jobErrors,
  MetricsRegistry,
  QueueError,
  type QueueHealth,
  queueErrors,
  type SubmitRequest,
  samplingSteps,
} from '@genimage/core'
import { Queue, QueueEvents } from 'bullmq'
import type { Redis } from 'ioredis'
import { atMost, CLOSE_TIMEOUT_MS, openRedis } from './connection.js'
import { type GenimageKeys, genimageKeys } from './keys.js'
import { readPresence, retryAfterSeconds, summarizeWorkers } from './presence.js'
import { failureOf, type JobData, recordOf } from './records.js'
import { defineScripts, type GenimageScripts } from './scripts.js'
import { JobWatchers } from './watchers.js'

/** Where a Redis queue lives: the same on every API node and worker of one deployment. */
export interface RedisQueueLocation {
  /** `redis://[user:password@]host:port[/db]` (or `rediss://` for TLS). */
  url: string
  /** BullMQ queue name. @default 'generate' */
  name?: string
  /** Prefix of every key. @default 'genimage' */
  prefix?: string
}

/** Options of {@link RedisJobQueue}. */
export interface RedisJobQueueOptions extends RedisQueueLocation {
  /** Jobs allowed to wait (all API nodes together); one more is refused with `queue_full`. @default 64 */
  maxQueueSize?: number
  /** Times a job runs when its backend was unavailable mid-job. @default 3 */
  maxAttempts?: number
  /** How long a finished job stays readable. @default 3600000 (1 h) */
  resultTtlMs?: number
  /** Finished jobs kept at most (succeeded and failed each); the oldest go first. @default 10000 */
  maxFinishedJobs?: number
  /** How long an `Idempotency-Key` is remembered. @default 86400000 (24 h) */
  idempotencyTtlMs?: number
  /** `Idempotency-Key`s remembered at most, all owners together; the oldest go first. @default 10000 */
  maxIdempotencyKeys?: number
  /** A Redis call taking longer fails with `unavailable` (503). @default 3000 */
  operationTimeoutMs?: number
  /** Registry for this node's queue metrics. @default a new one */
  metrics?: MetricsRegistry
  /** Called when Redis cannot be reached (throttled by the caller's logger, if needed). */
  onRedisError?: (error: Error) => void
  /**
   * Called with the final record of a job this node ended itself (a cancel while it waited), awaited before the
   * cancel answers: the webhook notifier. Jobs that end on a worker are reported by the worker's own option.
   */
  onJobCompleted?: (record: JobRecord) => Promise<void>
  /** Clock in epoch milliseconds for acceptance, retention and idempotency expiry (tests move it). @default Date.now */
  now?: () => number
}

/** How often the depth and worker gauges are refreshed. */
const GAUGE_REFRESH_MS = 1000

/** The store digest of an `Idempotency-Key` or a fingerprint: fixed size whatever the caller sent. */
const digest = (text: string): string => createHash('sha256').update(text).digest('base64url')

/**
 * The {@link JobQueue} on BullMQ and Redis, for API nodes: jobs wait in a BullMQ queue that every worker pulls from,
 * so any API node answers for any job, nothing accepted is lost when a node dies, and progress reaches `watch`
 * through BullMQ's event stream. Ownership, idempotency keys (per owner, bounded, with a TTL), cancel markers and
 * worker presence live in Redis beside BullMQ's keys; image bytes never do.
 * @example
 * const queue = new RedisJobQueue({ url: 'redis://127.0.0.1:6379' })
 * const job = await queue.submit({ input, owner: 'anonymous', fingerprint: '' })
 */
export class RedisJobQueue implements JobQueue {
  /** The registry this node's queue metrics are recorded into. */
  readonly metrics: MetricsRegistry
  readonly #redis: Redis
  readonly #queue: Queue
  readonly #events: QueueEvents
  readonly #eventsRedis: Redis
  readonly #keys: GenimageKeys
  readonly #scripts: GenimageScripts
  readonly #watchers: JobWatchers
  readonly #maxQueueSize: number
  readonly #maxAttempts: number
  readonly #resultTtlMs: number
  readonly #maxFinishedJobs: number
  readonly #idempotencyTtlMs: number
  readonly #maxIdempotencyKeys: number
  readonly #timeoutMs: number
  readonly #now: () => number
  readonly #onJobCompleted: ((record: JobRecord) => Promise<void>) | undefined
  readonly #gauges: NodeJS.Timeout
  readonly #jobsTotal
  readonly #errorsTotal
  /**
   * Records this node accepted in the current turn of the event loop: a watch that follows its submit at once
   * (`POST /generate`) starts from it instead of reading the job back (the watcher's own re-read still runs).
   */
  readonly #accepted = new Map<string, JobRecord>()
  #depth = { waiting: 0, running: 0, workers: 0 }
  #draining = false

  constructor(options: RedisJobQueueOptions) {
    const name = options.name ?? 'generate'
    const prefix = options.prefix ?? 'genimage'
    this.#maxQueueSize = options.maxQueueSize ?? 64
    this.#maxAttempts = options.maxAttempts ?? 3
    this.#resultTtlMs = options.resultTtlMs ?? 3_600_000
    this.#maxFinishedJobs = options.maxFinishedJobs ?? 10_000
    this.#idempotencyTtlMs = options.idempotencyTtlMs ?? 86_400_000
    this.#maxIdempotencyKeys = options.maxIdempotencyKeys ?? 10_000
    this.#timeoutMs = options.operationTimeoutMs ?? 3000
    this.#now = options.now ?? Date.now
    this.#onJobCompleted = options.onJobCompleted
    this.#keys = genimageKeys(prefix, name)
    const onError = options.onRedisError
    this.#redis = openRedis(options.url, { kind: 'commands', onError, name: `${prefix}:api` })
    this.#scripts = defineScripts(this.#redis, this.#keys)
    this.#queue = new Queue(name, { connection: this.#redis, prefix })
    this.#queue.on('error', (error) => onError?.(error))
    this.#eventsRedis = openRedis(options.url, { kind: 'blocking', onError, name: `${prefix}:api-events` })
    this.#events = new QueueEvents(name, { connection: this.#eventsRedis, prefix })
    this.#events.on('error', (error) => onError?.(error))
    this.#watchers = new JobWatchers(this.#events, (jobs) =>
      this.#scripts
        .readJobs(jobs.map((job) => job.id))
        .then((raws) => raws.map((raw, index) => this.#visible(recordOf(raw, jobs[index]!.id, jobs[index]!.owner)))),
    )
    this.metrics = options.metrics ?? new MetricsRegistry()
    this.#jobsTotal = this.metrics.counter('genimage_jobs_total', 'Finished jobs of the whole queue, by outcome.')
    this.#errorsTotal = this.metrics.counter('genimage_errors_total', 'Failed jobs of the whole queue, by kind.')
    this.#countFinishedJobs()
    this.metrics.gauge('genimage_queue_depth', 'Jobs waiting in the queue (all API nodes).', () => this.#depth.waiting)
    this.metrics.gauge('genimage_jobs_running', 'Jobs running on any worker.', () => this.#depth.running)
    this.metrics.gauge('genimage_workers', 'Workers that reported in the last 5 s.', () => this.#depth.workers)
    this.#gauges = setInterval(() => void this.health().catch(() => {}), GAUGE_REFRESH_MS)
    this.#gauges.unref()
  }

  /** Resolves once Redis is connected and the event stream is read; `unavailable` after `operationTimeoutMs`. */
  async ready(): Promise<void> {
    const connected =
      this.#redis.status === 'ready' ? Promise.resolve() : once(this.#redis, 'ready').then(() => undefined)
    await this.#guard(() => Promise.all([this.#queue.waitUntilReady(), this.#events.waitUntilReady()]), connected)
  }

  async submit(request: SubmitRequest): Promise<JobRecord> {
    const { input, owner, idempotencyKey } = request
    return this.#guard(async () => {
      const fingerprint = digest(request.fingerprint)
      const idemKey = idempotencyKey === undefined ? undefined : this.#keys.idempotency(owner, digest(idempotencyKey))
      const id = crypto.randomUUID()
      let replacing = ''
      if (idemKey) {
        for (;;) {
          const claim = await this.#scripts.claimIdempotency(idemKey, {
            fingerprint,
            jobId: id,
            ttlMs: this.#idempotencyTtlMs,
            now: this.#now(),
            maxKeys: this.#maxIdempotencyKeys,
            replacing,
          })
          if (claim.kind === 'conflict') throw queueErrors.idempotencyConflict()
          if (claim.kind === 'claimed') break
          const existing = await this.get(claim.jobId, owner)
          // A waiting, running or succeeded job is joined; a failed, cancelled or forgotten one runs again.
          if (existing && (existing.state !== 'COMPLETED' || existing.outcome === 'succeeded')) return existing
          replacing = claim.jobId
        }
      }
      let record: JobRecord
      try {
        if (this.#draining) throw queueErrors.draining()
        const webhook = request.webhook && { webhook: request.webhook }
        const data: JobData = { owner, input, acceptedAt: this.#now(), ...webhook }
        const keep = { age: Math.ceil(this.#resultTtlMs / 1000), count: this.#maxFinishedJobs }
        // The count and the add leave together, in order on one connection (one round trip, not two): the count is
        // the wait list just before the add, and a job added past the limit is taken back at once.
        const [waiting] = await Promise.all([
          this.#redis.llen(this.#keys.wait),
          this.#queue.add('generate', data, {
            jobId: id,
            attempts: this.#maxAttempts,
            removeOnComplete: keep,
            removeOnFail: keep,
          }),
        ])
        // Not withdrawn: a worker took it meanwhile, so the queue had room after all and the job is accepted.
        if (waiting >= this.#maxQueueSize && (await this.#scripts.withdraw(id))) {
          const { throughputPerS } = summarizeWorkers(await readPresence(this.#redis, this.#keys))
          throw queueErrors.queueFull(waiting, retryAfterSeconds(waiting, throughputPerS))
        }
        // The answer to an accepted submit is IN_QUEUE behind the jobs that were waiting, even if a worker is faster.
        record = {
          id,
          owner,
          input,
          state: 'IN_QUEUE',
          queuePosition: waiting,
          progress: { step: 0, total_steps: samplingSteps(input) },
          logs: [],
          acceptedAt: data.acceptedAt,
          ...webhook,
        }
        this.#accepted.set(id, record)
        setImmediate(() => this.#accepted.delete(id))
      } catch (error) {
        if (idemKey) await this.#scripts.releaseIdempotency(idemKey, id).catch(() => {})
        throw error
      }
      return record
    })
  }

  async get(id: string, owner: JobOwner): Promise<JobRecord | undefined> {
    return this.#guard(async () => this.#visible(recordOf(await this.#scripts.readJob(id), id, owner)))
  }

  async watch(id: string, owner: JobOwner, listener: JobRecordListener): Promise<() => void> {
    const accepted = this.#accepted.get(id)
    const record = accepted?.owner === owner ? accepted : await this.get(id, owner)
    if (!record) throw queueErrors.notFound(id)
    listener(record)
    if (record.state === 'COMPLETED') return () => {}
    return this.#watchers.add(record, listener)
  }

  async waitFor(id: string, owner: JobOwner, signal?: AbortSignal): Promise<JobRecord> {
    signal?.throwIfAborted()
    return new Promise<JobRecord>((resolve, reject) => {
      let unwatch: (() => void) | undefined
      let done = false
      const settle = (finish: () => void): void => {
        if (done) return
        done = true
        signal?.removeEventListener('abort', onAbort)
        unwatch?.()
        finish()
      }
      const onAbort = (): void => settle(() => reject(signal!.reason))
      signal?.addEventListener('abort', onAbort, { once: true })
      this.watch(id, owner, (record) => {
        if (record.state === 'COMPLETED') settle(() => resolve(record))
      }).then(
        (stop) => {
          unwatch = stop
          if (done) stop()
        },
        (error: unknown) => settle(() => reject(error)),
      )
    })
  }

  async cancel(id: string, owner: JobOwner): Promise<CancelResult> {
    return this.#guard(async () => {
      const record = await this.get(id, owner)
      if (!record) return 'not_found'
      if (record.state === 'COMPLETED') return 'already_completed'
      // The marker first: a worker that takes the job from now on sees it and ends the job as cancelled.
      await this.#redis.set(this.#keys.cancelMarker(id), '1', 'PX', this.#resultTtlMs)
      const state = await this.#queue.getJobState(id)
      if (state === 'completed' || state === 'failed') {
        await this.#redis.del(this.#keys.cancelMarker(id))
        return 'already_completed'
      }
      if (state === 'waiting' || state === 'delayed' || state === 'prioritized') {
        const now = this.#now()
        const cancelled: JobRecord = {
          ...record,
          state: 'COMPLETED',
          queuePosition: 0,
          outcome: 'cancelled',
          error: jobErrors.cancelled(),
          timings: {
            queue_ms: now - record.acceptedAt,
            inference_ms: 0,
            encode_ms: 0,
            total_ms: now - record.acceptedAt,
          },
          finishedAt: now,
        }
        // The final record before the removal, so that a watcher woken by the removal reads it.
        await this.#redis.set(this.#keys.cancelled(id), JSON.stringify(cancelled), 'PX', this.#resultTtlMs)
        // 0 when a worker took it meanwhile: that worker sees the marker and fails it as cancelled.
        if ((await this.#queue.remove(id)) === 1) await this.#onJobCompleted?.(cancelled)
        return 'cancellation_requested'
      }
      // Running (or between states): interrupt it on whichever worker holds it.
      await this.#redis.publish(this.#keys.cancelChannel, id)
      return 'cancellation_requested'
    })
  }

  async health(): Promise<QueueHealth> {
    return this.#guard(async () => {
      const [waiting, running, workers] = await Promise.all([
        this.#redis.llen(this.#keys.wait),
        this.#redis.llen(`${this.#queue.keys.active}`),
        readPresence(this.#redis, this.#keys),
      ])
      this.#depth = { waiting, running, workers: workers.length }
      const summary = summarizeWorkers(workers)
      return { state: summary.state, backend: summary.backend, draining: this.#draining, waiting, running }
    })
  }

  /** Refuses new jobs on this node; queued and running jobs stay in Redis for the workers, so none is dropped. */
  async drain(): Promise<DrainReport> {
    this.#draining = true
    return { dropped: 0 }
  }

  async close(): Promise<void> {
    clearInterval(this.#gauges)
    this.#watchers.close()
    await atMost(Promise.allSettled([this.#events.close(), this.#queue.close()]), CLOSE_TIMEOUT_MS)
    this.#eventsRedis.disconnect()
    this.#redis.disconnect()
  }

  /** Runs a Redis operation; unreachable or slow Redis becomes `unavailable` (503), refusals pass through. */
  async #guard<T>(operation: () => Promise<T>, connected?: Promise<void>): Promise<T> {
    if (!connected && this.#redis.status !== 'ready') {
      throw queueErrors.unavailable(`Redis is not reachable (connection ${this.#redis.status})`)
    }
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(queueErrors.unavailable(`Redis did not answer within ${this.#timeoutMs} ms`)),
        this.#timeoutMs,
      )
    })
    try {
      return await Promise.race([(connected ?? Promise.resolve()).then(operation), timeout])
    } catch (error) {
      if (error instanceof QueueError) throw error
      throw queueErrors.unavailable((error as Error).message)
    } finally {
      clearTimeout(timer)
    }
  }

  /** A finished record past its retention is gone, whether or not BullMQ removed it yet. */
  #visible(record: JobRecord | undefined): JobRecord | undefined {
    if (record?.finishedAt !== undefined && record.finishedAt + this.#resultTtlMs <= this.#now()) return undefined
    return record
  }

  /**
   * Counts every job of the queue as it finishes, from the event stream: each API node shows the whole queue, like
   * `genimage_queue_depth` (aggregate API nodes with max, not sum; workers count their own jobs).
   */
  #countFinishedJobs(): void {
    this.#events.on('completed', () => this.#jobsTotal.inc({ outcome: 'succeeded' }))
    // Only a cancel removes a job from the queue (retention deletes finished jobs without this event).
    this.#events.on('removed', () => this.#jobsTotal.inc({ outcome: 'cancelled' }))
    this.#events.on('failed', ({ failedReason }) => {
      const { error } = failureOf(failedReason)
      const outcome = error.kind === 'cancelled' ? 'cancelled' : 'failed'
      this.#jobsTotal.inc({ outcome })
      if (outcome === 'failed') this.#errorsTotal.inc({ kind: error.kind })
    })
  }
}

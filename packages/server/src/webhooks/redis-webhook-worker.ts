import {
  DEFAULT_WEBHOOK_RETRY,
  nextRetryDelayMs,
  type WebhookDelivery,
  type WebhookEvent,
  type WebhookRetryPolicy,
  type WebhookSender,
} from '@genimage/core'
import { type Job, UnrecoverableError, Worker } from 'bullmq'
import { atMost, CLOSE_TIMEOUT_MS, openRedis } from '../queue/redis/connection.js'
import type { RedisQueueLocation } from '../queue/redis/redis-job-queue.js'
import { WEBHOOK_QUEUE } from './redis-webhook-dispatcher.js'

/** Options of {@link RedisWebhookWorker}. */
export interface RedisWebhookWorkerOptions extends Pick<RedisQueueLocation, 'url' | 'prefix'> {
  /** POSTs one attempt (signed, SSRF-guarded). */
  send: WebhookSender
  /** Retry bounds; missing fields keep the defaults. @default DEFAULT_WEBHOOK_RETRY */
  retry?: Partial<WebhookRetryPolicy>
  /** Deliveries in flight at once on this process. @default 8 */
  concurrency?: number
  /** Called on every delivered, failed and given-up attempt. */
  onEvent?: (event: WebhookEvent) => void
  /** Called when Redis cannot be reached. */
  onRedisError?: (error: Error) => void
  /** Source of the backoff jitter. @default Math.random */
  random?: () => number
}

/** A failed attempt to be retried after `retryInMs` (read back by the backoff strategy). */
class RetryLater extends Error {
  constructor(
    reason: string,
    readonly retryInMs: number,
  ) {
    super(reason)
  }
}

/**
 * Delivers the webhooks of `<prefix>:webhooks` (BullMQ worker): one attempt per BullMQ attempt, the next one delayed
 * by the retry policy's backoff, given up (failed for good) when the policy says so. A delivery in flight when this
 * process dies is taken again by another worker (or this one after its restart).
 * @example new RedisWebhookWorker({ url, send: createGuardedWebhookSender({ secrets, guard }) }).run()
 */
export class RedisWebhookWorker {
  readonly #worker: Worker<WebhookDelivery>
  readonly #options: RedisWebhookWorkerOptions
  readonly #policy: WebhookRetryPolicy

  constructor(options: RedisWebhookWorkerOptions) {
    const prefix = options.prefix ?? 'genimage'
    this.#options = options
    this.#policy = { ...DEFAULT_WEBHOOK_RETRY, ...options.retry }
    this.#worker = new Worker<WebhookDelivery>(WEBHOOK_QUEUE, (job) => this.#deliver(job), {
      connection: openRedis(options.url, {
        kind: 'blocking',
        onError: options.onRedisError,
        name: `${prefix}:webhook-worker`,
      }),
      prefix,
      autorun: false,
      concurrency: options.concurrency ?? 8,
      // The delay the failed attempt chose; 1 s for a failure BullMQ reports without one (a lost worker).
      settings: { backoffStrategy: (_attempts, _type, error) => (error as RetryLater | undefined)?.retryInMs ?? 1000 },
    })
    this.#worker.on('error', (error) => options.onRedisError?.(error))
  }

  /** Starts taking deliveries. */
  run(): void {
    void this.#worker.run().catch((error: Error) => this.#options.onRedisError?.(error))
  }

  /** Stops taking deliveries and waits (a bounded time) for those in flight; the others stay queued. */
  async close(): Promise<void> {
    await atMost(this.#worker.close(), CLOSE_TIMEOUT_MS + 10_000)
  }

  async #deliver(job: Job<WebhookDelivery>): Promise<void> {
    const delivery = job.data
    const attempt = job.attemptsMade + 1
    const result = await this.#options.send(delivery)
    const event = { id: delivery.id, url: delivery.url, attempt }
    if (result.ok) {
      this.#options.onEvent?.({ type: 'delivered', ...event })
      return
    }
    const delay = nextRetryDelayMs(this.#policy, attempt, Date.now() - job.timestamp, this.#options.random)
    if (delay === undefined || attempt >= (job.opts.attempts ?? 1)) {
      this.#options.onEvent?.({ type: 'given_up', ...event, reason: result.reason })
      throw new UnrecoverableError(result.reason)
    }
    this.#options.onEvent?.({ type: 'failed', ...event, reason: result.reason, retryInMs: delay })
    throw new RetryLater(result.reason, delay)
  }
}

import type { WebhookDelivery, WebhookDispatcher } from '@genimage/core'
import { Queue } from 'bullmq'
import type { Redis } from 'ioredis'
import { atMost, CLOSE_TIMEOUT_MS, openRedis } from '../queue/redis/connection.js'
import type { RedisQueueLocation } from '../queue/redis/redis-job-queue.js'

/** The BullMQ queue name of webhook deliveries (keys `<prefix>:webhooks:*`). */
export const WEBHOOK_QUEUE = 'webhooks'

/** How long a finished delivery is kept, so that a job run again after a crash does not send its webhook twice. */
const KEEP_FINISHED_S = 86_400

/** Options of {@link RedisWebhookDispatcher}. */
export interface RedisWebhookDispatcherOptions extends Pick<RedisQueueLocation, 'url' | 'prefix'> {
  /** Attempts BullMQ allows a delivery (the worker's retry policy gives up earlier). @default 12 */
  maxAttempts?: number
  /** Called when Redis cannot be reached. */
  onRedisError?: (error: Error) => void
}

/**
 * The durable {@link WebhookDispatcher}: each delivery is a BullMQ job in `<prefix>:webhooks`, whose id is the
 * delivery's (a second dispatch of the same request is a no-op while the first is kept), retried with the
 * {@link RedisWebhookWorker}'s backoff, so it survives a restart of any process. Dispatch resolves once Redis holds it.
 * @example const webhooks = new RedisWebhookDispatcher({ url: 'redis://127.0.0.1:6379' })
 */
export class RedisWebhookDispatcher implements WebhookDispatcher {
  readonly #redis: Redis
  readonly #queue: Queue<WebhookDelivery>
  readonly #attempts: number

  constructor(options: RedisWebhookDispatcherOptions) {
    const prefix = options.prefix ?? 'genimage'
    this.#redis = openRedis(options.url, {
      kind: 'blocking',
      onError: options.onRedisError,
      name: `${prefix}:webhooks`,
    })
    this.#queue = new Queue<WebhookDelivery>(WEBHOOK_QUEUE, { connection: this.#redis, prefix })
    this.#queue.on('error', (error) => options.onRedisError?.(error))
    this.#attempts = options.maxAttempts ?? 12
  }

  async dispatch(delivery: WebhookDelivery): Promise<void> {
    await this.#queue.add('deliver', delivery, {
      jobId: delivery.id,
      attempts: this.#attempts,
      backoff: { type: 'webhook' },
      removeOnComplete: { age: KEEP_FINISHED_S },
      removeOnFail: { age: KEEP_FINISHED_S },
    })
  }

  /** Nothing to do: pending deliveries wait in Redis for a webhook worker. */
  async drain(): Promise<void> {}

  async close(): Promise<void> {
    await atMost(this.#queue.close(), CLOSE_TIMEOUT_MS)
    this.#redis.disconnect()
  }
}

import {
  createWebhookNotifier,
  type ImageStore,
  type JobRecord,
  MemoryWebhookDispatcher,
  type MetricsRegistry,
  type WebhookAcceptance,
  type WebhookDispatcher,
  type WebhookRetryPolicy,
  type WebhookSender,
} from '@genimage/core'
import type { Logger } from 'pino'
import type { ServerConfig } from '../config/index.js'
import { createOutboundGuard } from '../net/index.js'
import { logRedisErrors } from '../roles/job-log.js'
import { logWebhookEvents } from './event-log.js'
import { createGuardedWebhookSender } from './guarded-sender.js'
import { RedisWebhookDispatcher } from './redis-webhook-dispatcher.js'
import { RedisWebhookWorker } from './redis-webhook-worker.js'

/** The webhooks of one server process: what its queue notifies, and where deliveries go. */
export interface ServerWebhooks {
  /** Hands a completed job's webhook over (nothing for a job without one); never rejects. */
  notify(record: JobRecord): Promise<void>
  /** In-process timers (embedded queue) or BullMQ (Redis). */
  dispatcher: WebhookDispatcher
  /** Starts delivering (the Redis roles that run jobs). */
  run(): void
  /** On shutdown: one more attempt for in-process deliveries; queued ones stay in Redis. */
  drain(): Promise<void>
  /** Stops delivering and closes connections. */
  close(): Promise<void>
}

/**
 * Whether `POST /queue/generate` takes a `webhook_url` (only with `WEBHOOK_SECRETS` set), with the submit-time SSRF
 * check of `WEBHOOK_ALLOWED_HOSTS`.
 * @example createApp({ …, webhooks: webhookAcceptance(config) })
 */
export function webhookAcceptance(config: ServerConfig): WebhookAcceptance | undefined {
  if (config.webhookSecrets.length === 0) return undefined
  const guard = createOutboundGuard({
    allowedHosts: config.webhookAllowedHosts,
    allowlistName: 'WEBHOOK_ALLOWED_HOSTS',
  })
  return { check: (url) => guard.check(url) }
}

const retryOf = (config: ServerConfig): Partial<WebhookRetryPolicy> => ({
  retryForMs: config.webhookRetryForS * 1000,
  maxAttempts: config.webhookMaxAttempts,
  firstDelayMs: config.webhookFirstRetryMs,
})

const senderOf = (config: ServerConfig): WebhookSender =>
  createGuardedWebhookSender({
    secrets: config.webhookSecrets,
    guard: createOutboundGuard({ allowedHosts: config.webhookAllowedHosts, allowlistName: 'WEBHOOK_ALLOWED_HOSTS' }),
  })

const notifierOf = (store: ImageStore, dispatcher: WebhookDispatcher, logger: Logger) =>
  createWebhookNotifier({
    store,
    dispatcher,
    onError: (error, record) =>
      logger.error({ err: error, jobId: record.id }, `webhook of request ${record.id} could not be queued`),
  })

/**
 * The embedded queue's webhooks: retried on in-process timers; at shutdown each pending one gets one more attempt,
 * then is dropped (logged). `undefined` without `WEBHOOK_SECRETS`.
 * @example const webhooks = embeddedWebhooks(config, logger, metrics, store)
 */
export function embeddedWebhooks(
  config: ServerConfig,
  logger: Logger,
  metrics: MetricsRegistry,
  store: ImageStore,
): ServerWebhooks | undefined {
  if (config.webhookSecrets.length === 0) return undefined
  const log = logger.child({ component: 'webhooks' })
  const dispatcher = new MemoryWebhookDispatcher({
    send: senderOf(config),
    retry: retryOf(config),
    onEvent: logWebhookEvents(log, metrics),
  })
  return {
    notify: notifierOf(store, dispatcher, log),
    dispatcher,
    run() {},
    async drain() {
      if (dispatcher.pending > 0) log.info(`shutdown: one last attempt for ${dispatcher.pending} pending webhooks`)
      await dispatcher.drain()
    },
    close: () => dispatcher.close(),
  }
}

/**
 * The Redis roles' webhooks: each delivery is a BullMQ job in `<prefix>:webhooks` (durable across restarts);
 * `deliver` (ROLE=worker and ROLE=all) also runs the worker that POSTs them. `undefined` without `WEBHOOK_SECRETS`.
 * @example const webhooks = redisWebhooks(config, logger, metrics, store, { deliver: true })
 */
export function redisWebhooks(
  config: ServerConfig,
  logger: Logger,
  metrics: MetricsRegistry,
  store: ImageStore,
  { deliver }: { deliver: boolean },
): ServerWebhooks | undefined {
  if (config.webhookSecrets.length === 0 || !config.redisUrl) return undefined
  const log = logger.child({ component: 'webhooks' })
  const onRedisError = logRedisErrors(log)
  const dispatcher = new RedisWebhookDispatcher({
    url: config.redisUrl,
    maxAttempts: config.webhookMaxAttempts,
    onRedisError,
  })
  const worker = deliver
    ? new RedisWebhookWorker({
        url: config.redisUrl,
        send: senderOf(config),
        retry: retryOf(config),
        onEvent: logWebhookEvents(log, metrics),
        onRedisError,
      })
    : undefined
  return {
    notify: notifierOf(store, dispatcher, log),
    dispatcher,
    run: () => worker?.run(),
    drain: () => dispatcher.drain(),
    async close() {
      await worker?.close()
      await dispatcher.close()
    },
  }
}

import { type ImageStore, MetricsRegistry } from '@genimage/core'
import type { Logger } from 'pino'
import { type ConfiguredBackend, createBackendFromConfig } from '../backend-from-config.js'
import type { ServerConfig } from '../config/index.js'
import { RedisJobQueue, RedisQueueWorker, withLocalWorker } from '../queue/redis/index.js'
import { redisWebhooks, type ServerWebhooks } from '../webhooks/setup.js'
import { createApiApp } from './api-app.js'
import { logRedisErrors, logWorkerJob } from './job-log.js'
import type { RoleParts } from './parts.js'
import { createStore } from './store.js'
import { createWorkerApp } from './worker-app.js'

const apiQueue = (
  config: ServerConfig,
  logger: Logger,
  metrics: MetricsRegistry,
  webhooks: ServerWebhooks | undefined,
): RedisJobQueue =>
  new RedisJobQueue({
    url: config.redisUrl!,
    metrics,
    maxQueueSize: config.maxQueue,
    resultTtlMs: config.jobRetentionS * 1000,
    maxFinishedJobs: config.maxRetainedJobs,
    idempotencyTtlMs: config.idempotencyTtlS * 1000,
    maxIdempotencyKeys: config.maxIdempotencyKeys,
    onRedisError: logRedisErrors(logger.child({ component: 'redis-queue' })),
    onJobCompleted: webhooks?.notify,
  })

const worker = (
  config: ServerConfig,
  logger: Logger,
  configured: ConfiguredBackend,
  metrics: MetricsRegistry,
  store: ImageStore,
  webhooks: ServerWebhooks | undefined,
) =>
  new RedisQueueWorker({
    url: config.redisUrl!,
    backend: configured.backend,
    store,
    metrics,
    jobTimeoutMs: config.jobTimeoutMs,
    lockMs: config.workerLockMs,
    onJobTimeout: (jobId) => configured.onJobTimeout(jobId),
    onJobFinished: logWorkerJob(logger),
    onJobCompleted: webhooks?.notify,
    onRedisError: logRedisErrors(logger.child({ component: 'redis-worker' })),
  })

/** Waits for Redis at start without failing: while it is unreachable the node answers 503 and keeps reconnecting. */
const awaitRedis = async (queue: RedisJobQueue, logger: Logger): Promise<void> => {
  await queue.ready().then(
    () => logger.info('Redis queue connected'),
    (error: Error) => logger.warn(`Redis at REDIS_URL not reachable yet (${error.message}); answering 503 meanwhile`),
  )
}

/**
 * `ROLE=api`: the public API over the Redis queue; runs no job (workers do) and holds nothing a restart would lose.
 * @example const parts = apiRole(config, logger)
 */
export function apiRole(config: ServerConfig, logger: Logger): RoleParts {
  const metrics = new MetricsRegistry()
  const store = createStore(config, logger)
  // An API node only queues the webhooks of the jobs it ends itself (cancelled while waiting); workers deliver.
  const webhooks = redisWebhooks(config, logger, metrics, store, { deliver: false })
  const queue = apiQueue(config, logger, metrics, webhooks)
  return {
    app: createApiApp(config, logger, { queue, store, metrics }),
    queue,
    configured: undefined,
    metrics,
    description: 'no backend: an API node (ROLE=api) on the Redis queue, jobs run on the workers',
    start: () => awaitRedis(queue, logger),
    async drain() {
      // Accepted jobs wait in Redis for the workers: an API node owes nothing.
      await queue.drain()
    },
    async stop() {
      await queue.close()
      await webhooks?.close()
    },
  }
}

/**
 * `ROLE=worker`: pulls jobs from Redis and runs them on the configured backend; serves only health and metrics.
 * @example const parts = workerRole(config, logger)
 */
export function workerRole(config: ServerConfig, logger: Logger): RoleParts {
  const metrics = new MetricsRegistry()
  const configured = createBackendFromConfig(config, logger, metrics)
  const store = createStore(config, logger)
  const webhooks = redisWebhooks(config, logger, metrics, store, { deliver: true })
  const jobs = worker(config, logger, configured, metrics, store, webhooks)
  return {
    app: createWorkerApp(jobs, metrics),
    queue: undefined,
    configured,
    metrics,
    description: `the ${configured.description}, as worker ${jobs.id} (ROLE=worker) on the Redis queue`,
    async start() {
      await jobs.start()
      webhooks?.run()
      await configured.start()
      jobs.run()
    },
    async drain(graceMs) {
      const dropped = await jobs.drain(graceMs)
      if (dropped > 0)
        logger.warn({ dropped }, `shutdown grace of ${graceMs} ms ran out: ${dropped} jobs ended as dropped (503)`)
    },
    async stop() {
      await jobs.close()
      await webhooks?.close()
      await configured.stop()
    },
  }
}

/**
 * `ROLE=all` with `REDIS_URL`: an API node and a worker in one process, on the shared Redis queue.
 * @example const parts = allOnRedisRole(config, logger)
 */
export function allOnRedisRole(config: ServerConfig, logger: Logger): RoleParts {
  const metrics = new MetricsRegistry()
  const configured = createBackendFromConfig(config, logger, metrics)
  const store = createStore(config, logger)
  const webhooks = redisWebhooks(config, logger, metrics, store, { deliver: true })
  const api = apiQueue(config, logger, metrics, webhooks)
  const jobs = worker(config, logger, configured, new MetricsRegistry(), store, webhooks)
  const queue = withLocalWorker(api, jobs)
  return {
    app: createApiApp(config, logger, { queue, store: createStore(config, logger), metrics }),
    queue,
    configured,
    metrics,
    description: `the ${configured.description} (Redis queue, API and worker in one process)`,
    async start() {
      await jobs.start()
      webhooks?.run()
      await awaitRedis(api, logger)
      await configured.start()
      jobs.run()
    },
    async drain(graceMs) {
      const { dropped } = await queue.drain({ graceMs })
      if (dropped > 0)
        logger.warn({ dropped }, `shutdown grace of ${graceMs} ms ran out: ${dropped} jobs ended as dropped (503)`)
    },
    async stop() {
      await queue.close()
      await webhooks?.close()
      await configured.stop()
    },
  }
}

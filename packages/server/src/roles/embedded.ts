import { MemoryJobQueue, MetricsRegistry } from '@genimage/core'
import type { Logger } from 'pino'
import { createBackendFromConfig } from '../backend-from-config.js'
import type { ServerConfig } from '../config/index.js'
import { embeddedWebhooks } from '../webhooks/setup.js'
import { createApiApp } from './api-app.js'
import { logFinishedJob } from './job-log.js'
import type { RoleParts } from './parts.js'
import { createStore } from './store.js'

/**
 * `ROLE=all` without `REDIS_URL`: API and backend in one process over the embedded queue (not durable: a process
 * exit loses queued jobs, and a shutdown ends what its grace cannot finish as `dropped`).
 * @example const parts = embeddedRole(config, logger)
 */
export function embeddedRole(config: ServerConfig, logger: Logger): RoleParts {
  const metrics = new MetricsRegistry()
  const configured = createBackendFromConfig(config, logger, metrics)
  const store = createStore(config, logger)
  const webhooks = embeddedWebhooks(config, logger, metrics, store)
  const logFinished = logFinishedJob(logger)
  const queue = new MemoryJobQueue({
    backend: configured.backend,
    store,
    metrics,
    maxQueueSize: config.maxQueue,
    jobTimeoutMs: config.jobTimeoutMs,
    resultTtlMs: config.jobRetentionS * 1000,
    maxFinishedJobs: config.maxRetainedJobs,
    idempotencyTtlMs: config.idempotencyTtlS * 1000,
    maxIdempotencyKeys: config.maxIdempotencyKeys,
    onJobTimeout: (jobId) => configured.onJobTimeout(jobId),
    onJobFinished: (record) => {
      logFinished(record)
      void webhooks?.notify(record)
    },
  })
  return {
    app: createApiApp(config, logger, { queue, store, metrics }),
    queue,
    configured,
    metrics,
    description: `the ${configured.description} (embedded queue)`,
    start: () => configured.start(),
    async drain(graceMs) {
      // The end of the grace is kept for pollers to read the final status of the jobs dropped before it.
      const lingerMs = Math.min(2000, Math.floor(graceMs / 4))
      const { dropped } = await queue.drain({ graceMs: graceMs - lingerMs })
      if (dropped > 0) {
        logger.warn(
          { dropped },
          `shutdown grace of ${graceMs} ms ran out: ${dropped} accepted jobs ended as dropped (503); their status stays readable for ${lingerMs} ms`,
        )
        await new Promise<void>((resolve) => setTimeout(resolve, lingerMs))
      }
      await webhooks?.drain()
    },
    async stop() {
      await webhooks?.close()
      await configured.stop()
    },
  }
}

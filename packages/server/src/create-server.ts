import type { AddressInfo } from 'node:net'
import { createApp, type ImageStore, MemoryImageStore, MemoryJobQueue, MetricsRegistry } from '@genimage/core'
import type { Hono } from 'hono'
import type { Logger } from 'pino'
import { type ConfiguredBackend, createBackendFromConfig } from './backend-from-config.js'
import type { ServerConfig } from './config/index.js'
import { createHttpServer } from './http/create-http-server.js'
import { createLogger } from './logger.js'
import { findPlaygroundDir, registerPlayground } from './playground/index.js'
import { createLocalDirStore, createS3Store } from './storage/index.js'

/** A configured genimage server, not yet listening. */
export interface GenimageServer {
  readonly app: Hono
  /** The embedded job queue (not durable: a process exit loses queued jobs). */
  readonly queue: MemoryJobQueue
  readonly logger: Logger
  /** The backend and the processes behind it. */
  readonly configured: ConfiguredBackend
  /** Settles when the backend has started (after {@link listen}); rejects when it cannot start. */
  readonly ready: Promise<void>
  /** Listens on `PORT`/`HOST`, then starts the backend (`/ready` turns 200 once it is warm); resolves with the URL. */
  listen(): Promise<string>
  /**
   * Refuses new work, lets accepted jobs run for most of `SHUTDOWN_GRACE_MS`, ends the rest as `dropped` (503) and logs
   * how many, keeps answering their status for the rest of the grace (at most 2 s), then stops the backend and listener.
   */
  close(): Promise<void>
}

const createStore = (config: ServerConfig, logger: Logger): ImageStore => {
  if (config.s3) return createS3Store(config.s3)
  if (config.filesDir) {
    return createLocalDirStore(config.filesDir, {
      maxAgeMs: config.filesRetentionS * 1000,
      maxBytes: config.filesMaxBytes,
      onSweepError: (error) => logger.warn({ err: error }, `FILES_DIR sweep failed: ${error.message}`),
    })
  }
  return new MemoryImageStore({ maxBytes: config.resultCacheBytes })
}

/**
 * Builds the server the configuration describes: the core app over the embedded job queue, the configured backend and store.
 * @example
 * const server = createGenimageServer(config)
 * const url = await server.listen()
 */
export function createGenimageServer(
  config: ServerConfig,
  logger: Logger = createLogger(config.logLevel),
): GenimageServer {
  const metrics = new MetricsRegistry()
  const configured = createBackendFromConfig(config, logger, metrics)
  const store = createStore(config, logger)
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
    onJobFinished: (job) =>
      logger.info(
        {
          jobId: job.id,
          outcome: job.outcome,
          status: job.error?.status,
          timings: job.timings,
          size: `${job.input.width}x${job.input.height}`,
          steps: job.input.num_inference_steps,
        },
        job.outcome === 'succeeded' ? 'generation finished' : `generation ${job.outcome}: ${job.error?.message}`,
      ),
  })
  const app = createApp({
    queue,
    store,
    metrics,
    apiKeys: config.apiKeys,
    maxBodyBytes: config.maxBodyBytes,
    publicBaseUrl: config.publicBaseUrl,
    allowedHosts: config.allowedHosts,
    onRequest: (record) => logger.debug(record, `${record.method} ${record.route} ${record.status}`),
  })
  // The web playground (examples/web, when built) at `/`, after the API routes so that it never shadows them.
  const playground = findPlaygroundDir()
  if (playground) registerPlayground(app, playground)
  const http = createHttpServer(app.fetch, config, logger)
  let ready: Promise<void> = Promise.resolve()

  return {
    app,
    queue,
    logger,
    configured,
    get ready() {
      return ready
    },
    async listen() {
      await new Promise<void>((resolve, reject) => {
        http.once('error', reject)
        http.listen(config.port, config.host, () => resolve())
      })
      const { port } = http.address() as AddressInfo
      const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host
      const url = `http://${host}:${port}`
      logger.info(
        { backend: configured.backend.name, url },
        `genimage server on ${url} with the ${configured.description}`,
      )
      ready = configured.start().then(
        () => logger.info({ backend: configured.backend.name }, 'backend ready: accepting generations'),
        (error: Error) => {
          logger.fatal({ err: error }, `backend failed to start: ${error.message}`)
          throw error
        },
      )
      return url
    },
    async close() {
      // The end of the grace is kept for pollers to read the final status of the jobs dropped before it.
      const lingerMs = Math.min(2000, Math.floor(config.shutdownGraceMs / 4))
      const { dropped } = await queue.drain({ graceMs: config.shutdownGraceMs - lingerMs })
      if (dropped > 0) {
        logger.warn(
          { dropped },
          `shutdown grace of ${config.shutdownGraceMs} ms ran out: ${dropped} accepted jobs ended as dropped (503); their status stays readable for ${lingerMs} ms`,
        )
        await new Promise<void>((resolve) => setTimeout(resolve, lingerMs))
      }
      await configured.stop()
      await new Promise<void>((resolve) => {
        http.close(() => resolve())
        http.closeAllConnections()
      })
    },
  }
}

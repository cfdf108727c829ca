import type { AddressInfo } from 'node:net'
import type { JobQueue } from '@genimage/core'
import type { Hono } from 'hono'
import type { Logger } from 'pino'
import type { ConfiguredBackend } from '../backend-from-config.js'
import type { ServerConfig } from '../config/index.js'
import { createHttpServer } from '../http/create-http-server.js'
import type { RoleParts } from './parts.js'

/** A configured genimage process (API node, worker or both), not yet listening. */
export interface GenimageServer {
  /** What this process is: `all`, `api` or `worker`. */
  readonly role: ServerConfig['role']
  /** The public API, or a worker's health and metrics. */
  readonly app: Hono
  /** The job queue the API answers from; undefined on a worker. */
  readonly queue: JobQueue | undefined
  readonly logger: Logger
  /** The backend and the processes behind it; reading it on an API node (`ROLE=api`, which runs none) throws. */
  readonly configured: ConfiguredBackend
  /** Settles when this node has started (after {@link listen}); rejects when its backend cannot start. */
  readonly ready: Promise<void>
  /** Listens on `PORT`/`HOST`, then starts the backend or worker (`/ready` turns 200 once warm); resolves with the URL. */
  listen(): Promise<string>
  /**
   * Refuses new work, lets accepted jobs finish within `SHUTDOWN_GRACE_MS`, ends what this node still owes as `dropped`
   * (503; queued jobs of the Redis queue stay queued for other workers), then stops the backend and the listener.
   */
  close(): Promise<void>
}

/**
 * Puts a role behind its HTTP listener: listen, start, drain and stop in that order.
 * @example const server = serveRole(embeddedRole(config, logger), config, logger)
 */
export function serveRole(parts: RoleParts, config: ServerConfig, logger: Logger): GenimageServer {
  const http = createHttpServer(parts.app.fetch, config, logger)
  let ready: Promise<void> = Promise.resolve()
  return {
    role: config.role,
    app: parts.app,
    queue: parts.queue,
    logger,
    get configured() {
      if (!parts.configured) throw new Error('ROLE=api runs no backend: its jobs run on the workers')
      return parts.configured
    },
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
      const backend = parts.configured?.backend.name
      logger.info({ role: config.role, backend, url }, `genimage server on ${url} with ${parts.description}`)
      ready = parts.start().then(
        () => logger.info({ role: config.role, backend }, 'backend ready: accepting generations'),
        (error: Error) => {
          logger.fatal({ err: error }, `failed to start: ${error.message}`)
          throw error
        },
      )
      return url
    },
    async close() {
      await parts.drain(config.shutdownGraceMs)
      await parts.stop()
      await new Promise<void>((resolve) => {
        http.close(() => resolve())
        http.closeAllConnections()
      })
    },
  }
}

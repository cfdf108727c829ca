import type { Server } from 'node:http'
import { createAdaptorServer } from '@hono/node-server'
import type { Logger } from 'pino'
import { withProcessMetrics } from '../metrics/process-metrics.js'
import { guardRequestBody } from './body-guard.js'
import { metricsAllowed, metricsUnauthorized } from './metrics-guard.js'

/** What {@link createHttpServer} needs: the limits and who may read `/metrics` (fields of `ServerConfig`). */
export interface HttpServerOptions {
  /** `HEADERS_TIMEOUT_MS`. */
  headersTimeoutMs: number
  /** `REQUEST_TIMEOUT_MS`: headers and body. */
  requestTimeoutMs: number
  /** `KEEP_ALIVE_TIMEOUT_MS`. */
  keepAliveTimeoutMs: number
  /** `MAX_CONNECTIONS`. */
  maxConnections: number
  /** `API_KEYS`. */
  apiKeys: readonly string[]
  /** `METRICS_PUBLIC`. */
  metricsPublic: boolean
}

/** Seconds between two warnings about refused connections, so a flood logs a count, not a line per connection. */
const DROP_REPORT_MS = 10_000

/**
 * The Node HTTP server in front of the app: header, request and keep-alive timeouts and a connection cap, client
 * hang-ups logged once at debug (not as errors), and `/metrics` behind the API keys unless `metricsPublic`, with the
 * process's runtime metrics (prom-client's defaults) after the app's.
 * @example const http = createHttpServer(app.fetch, config, logger); http.listen(8787)
 */
export function createHttpServer(
  fetch: (request: Request) => Response | Promise<Response>,
  options: HttpServerOptions,
  logger: Logger,
): Server {
  const http = createAdaptorServer({
    fetch: (request: Request) => {
      if (new URL(request.url).pathname === '/metrics') {
        if (!options.metricsPublic && !metricsAllowed(request, options.apiKeys)) return metricsUnauthorized()
        if (request.method === 'GET') return Promise.resolve(fetch(request)).then(withProcessMetrics)
      }
      return fetch(
        guardRequestBody(request, () =>
          logger.debug({ method: request.method, url: request.url }, 'client closed the request mid-upload'),
        ),
      )
    },
    serverOptions: {
      headersTimeout: options.headersTimeoutMs,
      requestTimeout: options.requestTimeoutMs,
      // Node checks both timeouts on this interval (30 s by default, far coarser than the timeouts themselves).
      connectionsCheckingInterval: Math.min(1000, options.headersTimeoutMs / 4),
    },
  }) as Server
  http.keepAliveTimeout = options.keepAliveTimeoutMs
  http.maxConnections = options.maxConnections
  let dropped = 0
  http.on('drop', () => {
    if (dropped++ > 0) return
    setTimeout(() => {
      logger.warn(
        { dropped, maxConnections: options.maxConnections },
        `refused ${dropped} connections: MAX_CONNECTIONS reached`,
      )
      dropped = 0
    }, DROP_REPORT_MS).unref()
  })
  return http
}

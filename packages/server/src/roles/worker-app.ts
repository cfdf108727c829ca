import type { MetricsRegistry } from '@genimage/core'
import { Hono } from 'hono'
import type { RedisQueueWorker } from '../queue/redis/index.js'

/** Seconds a probe is told to wait while the worker is starting or draining. */
const RETRY_AFTER_S = 5

/**
 * A worker's HTTP surface, for probes and scrapers only: `/health`, `/ready` (200 once its backend is ready, Redis
 * connected and it is not draining; else 503 with `Retry-After`) and `/metrics`. Everything else is 404.
 * @example const app = createWorkerApp(worker, metrics)
 */
export function createWorkerApp(worker: RedisQueueWorker, metrics: MetricsRegistry): Hono {
  const app = new Hono()
  app.get('/health', (c) => c.json({ status: 'ok' }))
  app.get('/ready', (c) => {
    const health = worker.health()
    const ready = health.state === 'ready' && health.redis && !health.draining
    const status = health.draining ? 'draining' : !health.redis ? 'redis_unreachable' : health.state
    const body = { status: ready ? 'ready' : status, backend: worker.backendName, running: health.running }
    if (ready) return c.json(body)
    c.header('Retry-After', String(RETRY_AFTER_S))
    return c.json(body, 503)
  })
  app.get('/metrics', (c) => c.text(metrics.render(), 200, { 'content-type': 'text/plain; version=0.0.4' }))
  app.notFound((c) => c.json({ detail: 'Not found: a worker serves only /health, /ready and /metrics' }, 404))
  app.onError((_error, c) => c.json({ detail: 'Internal server error' }, 500))
  return app
}

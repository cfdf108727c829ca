import { Hono } from 'hono'
import { cors } from 'hono/cors'
import type { JobEngine } from '../engine/job-engine.js'
import { HttpProblem } from '../errors.js'
import { assertAuthorized } from './auth.js'
import type { AppContext } from './context.js'
import { registerFileRoutes } from './routes/files.js'
import { registerGenerateRoutes } from './routes/generate.js'
import { registerOpsRoutes } from './routes/ops.js'
import { registerQueueRoutes } from './routes/queue.js'

/** One finished HTTP request, as {@link AppOptions.onRequest} sees it. */
export interface RequestRecord {
  method: string
  /** The matched route pattern, for example `/queue/requests/:id/status`. */
  route: string
  status: number
  durationMs: number
  requestId: string
}

/** Options of {@link createApp}. */
export interface AppOptions {
  /** The job engine (backend + store + queue). */
  engine: JobEngine
  /** Keys accepted on the generate and queue routes; empty means no auth. @default [] */
  apiKeys?: readonly string[]
  /** Largest request body accepted. @default 65536 */
  maxBodyBytes?: number
  /** Base of public URLs (`https://api.example.com`); derived from each request when absent. */
  publicBaseUrl?: string
  /** Path the API is mounted under, for example `/v1`. @default '' */
  basePath?: string
  /** CORS: `true` for any origin, a list of allowed origins, or `false` for none. @default true */
  cors?: boolean | readonly string[]
  /** Called after each request (logging). */
  onRequest?: (record: RequestRecord) => void
}

const REQUEST_ID = /^[\w.:@-]{1,128}$/

/**
 * Builds the genimage HTTP app (Hono) over a job engine: the same app serves the mocks and the server.
 * @example
 * const app = createApp({ engine: new JobEngine({ backend: createSyntheticBackend(), store: new MemoryImageStore() }) })
 * const response = await app.request('/generate', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"prompt":"a fox"}' })
 */
export function createApp(options: AppOptions): Hono {
  const { engine, apiKeys = [], maxBodyBytes = 65_536, basePath = '', onRequest } = options
  const publicBase = options.publicBaseUrl?.replace(/\/+$/, '')
  const baseUrl = (request: Request): string => publicBase ?? `${new URL(request.url).origin}${basePath}`
  const context: AppContext = {
    engine,
    maxBodyBytes,
    baseUrl,
    fileUrl: (request, key) => engine.store.publicUrl?.(key) ?? `${baseUrl(request)}/files/${key}`,
  }
  const httpRequests = engine.metrics.counter('genimage_http_requests_total', 'HTTP requests by route and status.')
  const httpDuration = engine.metrics.histogram('genimage_http_request_duration_seconds', 'HTTP request latency.')

  const app = new Hono().basePath(basePath)

  app.use('*', async (c, next) => {
    const started = performance.now()
    const incoming = c.req.header('x-request-id')
    const requestId = incoming && REQUEST_ID.test(incoming) ? incoming : crypto.randomUUID()
    await next()
    c.res.headers.set('x-request-id', requestId)
    const route = c.req.routePath
    const durationMs = performance.now() - started
    httpRequests.inc({ method: c.req.method, route, status: String(c.res.status) })
    httpDuration.observe(durationMs / 1000, { route })
    onRequest?.({ method: c.req.method, route, status: c.res.status, durationMs, requestId })
  })

  const corsOption = options.cors ?? true
  if (corsOption !== false) {
    app.use(
      '*',
      cors({
        origin: corsOption === true ? '*' : [...corsOption],
        allowHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'x-request-id'],
        allowMethods: ['GET', 'POST', 'PUT', 'OPTIONS'],
        exposeHeaders: ['x-request-id', 'x-fal-request-id', 'Retry-After'],
        maxAge: 600,
      }),
    )
  }

  if (apiKeys.length > 0) {
    const guard = async (c: { req: { header(name: string): string | undefined } }, next: () => Promise<void>) => {
      assertAuthorized(c.req.header('authorization') ?? null, apiKeys)
      await next()
    }
    app.use('/generate', guard)
    app.use('/queue/*', guard)
  }

  registerGenerateRoutes(app, context)
  registerQueueRoutes(app, context)
  registerFileRoutes(app, context)
  registerOpsRoutes(app, context)

  app.notFound((c) => c.json({ detail: `Not found: ${c.req.method} ${new URL(c.req.url).pathname}` }, 404))
  app.onError((error, c) => {
    const problem = error instanceof HttpProblem ? error : new HttpProblem(500, 'Internal server error')
    if (!(error instanceof HttpProblem)) console.error('genimage: unhandled error', error)
    return c.json(problem.toBody(), problem.status as 400, problem.headers)
  })
  return app
}

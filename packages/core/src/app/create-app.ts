import { type Context, Hono } from 'hono'
import { HttpProblem } from '../errors.js'
import {
  createInputImageResolver,
  DEFAULT_MAX_INPUT_IMAGE_BYTES,
  type InputImageOptions,
} from '../input-image/resolve.js'
import { MetricsRegistry } from '../metrics/registry.js'
import { type JobOwner, type JobQueue, QueueError } from '../queue/port.js'
import { queueErrorToProblem } from '../queue/problems.js'
import type { ImageStore } from '../store/image-store.js'
import { type ExtraInputs, extraInputProblems } from '../validation/extra-inputs.js'
import type { WebhookAcceptance } from '../webhooks/webhook-url.js'
import { createHostMatcher, DEFAULT_ALLOWED_HOSTS } from './allowed-hosts.js'
import { allowedMethods } from './allowed-methods.js'
import { assertAuthorized } from './auth.js'
import type { AppContext } from './context.js'
import { createCors } from './cors.js'
import { ANONYMOUS_OWNER, ownerOfApiKey } from './owner.js'
import { registerFileRoutes } from './routes/files.js'
import { registerGenerateRoutes } from './routes/generate.js'
import { registerOpsRoutes } from './routes/ops.js'
import { registerQueueRoutes } from './routes/queue.js'
import { urlParts } from './url-parts.js'

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
  /** The job queue (`MemoryJobQueue`, or the Redis queue of `@genimage/server`). */
  queue: JobQueue
  /** The image store the queue's runner puts images in: `/files/{key}` and `sync_mode` answers read it. */
  store: ImageStore
  /** Registry of the HTTP metrics, rendered by `/metrics` (pass the queue's, so one page has both). @default a new one */
  metrics?: MetricsRegistry
  /** Keys accepted on the generate and queue routes; each key sees only its own jobs. Empty means no auth. @default [] */
  apiKeys?: readonly string[]
  /**
   * Largest request body accepted; the generate routes add room for a base64 `image_url` of the largest input image
   * (`ceil(4/3 × inputImages.maxBytes)`). @default 65536
   */
  maxBodyBytes?: number
  /** Limits and sources of image-to-image inputs (`image_url`). @default 4 MiB, 4096 × 4096, no remote hosts */
  inputImages?: InputImageOptions
  /** Base of public URLs (`https://api.example.com`); derived from each request's allowed Host when absent. */
  publicBaseUrl?: string
  /**
   * Host names accepted in the `Host` header, with Django's `ALLOWED_HOSTS` rules: exact names (any port),
   * `.example.com` for a domain and its subdomains, `*` for any. Other hosts get 400 (except on `/health`, `/ready`
   * and `/metrics`, which probes reach by IP and which build no URLs). The host of `publicBaseUrl` is always added.
   * @default ['localhost', '127.0.0.1', '[::1]']
   */
  allowedHosts?: readonly string[]
  /** Path the API is mounted under, for example `/v1`. @default '' */
  basePath?: string
  /** CORS: `true` for any origin, a list of allowed origins, or `false` for none. @default true */
  cors?: boolean | readonly string[]
  /** Called after each request (logging). */
  onRequest?: (record: RequestRecord) => void
  /**
   * Accept `webhook_url` (and `?fal_webhook=`) on `POST /queue/generate`, with an optional check of each URL; the
   * queue's host delivers them (`createWebhookNotifier`). Without it, a `webhook_url` answers 422 "webhooks are not
   * configured on this server".
   * @default undefined
   */
  webhooks?: WebhookAcceptance
  /**
   * Request fields beyond the contract's, by name (a custom ComfyUI workflow's `cfg`…): validated, defaults applied,
   * passed to the backend as `input.extra`, and listed in `/openapi.json` and `/docs`. The synthetic backend ignores
   * them. Throws at creation for a name that is not snake_case or is a contract field, or an unsupported schema.
   * @default {}
   * @example { cfg: { type: 'number', minimum: 0, maximum: 10, default: 1, description: 'Guidance scale.' } }
   */
  extraInputs?: ExtraInputs
}

const REQUEST_ID = /^[\w.:@-]{1,128}$/

/** Every method some route of the API answers, for the `Allow` of a 405 on an unknown method. */
const API_METHODS = 'GET, HEAD, OPTIONS, POST, PUT'

/**
 * Builds the genimage HTTP app (Hono) over a job queue and an image store: the same app serves the mocks and the server.
 * @example
 * const store = new MemoryImageStore()
 * const queue = new MemoryJobQueue({ backend: createSyntheticBackend(), store })
 * const app = createApp({ queue, store, metrics: queue.metrics })
 * const response = await app.request('/generate', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"prompt":"a fox"}' })
 */
export function createApp(options: AppOptions): Hono {
  const { queue, store, apiKeys = [], maxBodyBytes = 65_536, basePath = '', onRequest } = options
  const metrics = options.metrics ?? new MetricsRegistry()
  const extraProblems = extraInputProblems(options.extraInputs ?? {})
  if (extraProblems.length > 0) throw new TypeError(`createApp: extraInputs: ${extraProblems.join('; ')}`)
  const publicBase = options.publicBaseUrl?.replace(/\/+$/, '')
  const hostAllowed = createHostMatcher([
    ...(options.allowedHosts ?? DEFAULT_ALLOWED_HOSTS),
    ...(publicBase ? [new URL(publicBase).hostname] : []),
  ])
  const owners = new WeakMap<Request, JobOwner>()
  const ownerIds = new Map<string, Promise<JobOwner>>()
  const baseUrl = (request: Request): string => publicBase ?? `${urlParts(request.url).origin}${basePath}`
  const context: AppContext = {
    queue,
    store,
    metrics,
    maxBodyBytes,
    maxGenerateBodyBytes:
      maxBodyBytes + Math.ceil((4 / 3) * (options.inputImages?.maxBytes ?? DEFAULT_MAX_INPUT_IMAGE_BYTES)),
    inputImages: createInputImageResolver(options.inputImages),
    webhooks: options.webhooks,
    extraInputs: options.extraInputs,
    owner: (request) => owners.get(request) ?? ANONYMOUS_OWNER,
    baseUrl,
    fileUrl: (request, key) => store.publicUrl?.(key) ?? `${baseUrl(request)}/files/${key}`,
  }
  const httpRequests = metrics.counter('genimage_http_requests_total', 'HTTP requests by route and status.')
  const httpDuration = metrics.histogram('genimage_http_request_duration_seconds', 'HTTP request latency.')

  const app = new Hono().basePath(basePath)

  const corsOption = options.cors ?? true
  const cors =
    corsOption === false
      ? undefined
      : createCors({
          origin: corsOption === true ? '*' : [...corsOption],
          allowHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'x-request-id'],
          allowMethods: ['GET', 'POST', 'PUT', 'OPTIONS'],
          exposeHeaders: ['x-request-id', 'x-fal-request-id', 'Retry-After'],
          maxAge: 600,
        })
  const probes = new Set(['/health', '/ready', '/metrics'].map((path) => `${basePath}${path}`))

  // One middleware in three steps, outermost first: request id, metrics and `onRequest`; CORS; the Host check. One
  // rather than three: each middleware costs every request a dispatch of Hono's and a promise or two.
  app.use('*', async (c, next) => {
    const started = performance.now()
    const incoming = c.req.header('x-request-id')
    const requestId = incoming && REQUEST_ID.test(incoming) ? incoming : crypto.randomUUID()
    const checkHost = (): Promise<void> => {
      const { host } = urlParts(c.req.url)
      if (probes.has(c.req.path) || hostAllowed(host)) return next()
      // Answered as Hono answers an error thrown here, so that CORS and the request id still apply to it.
      const problem = new HttpProblem(
        400,
        `Host ${JSON.stringify(host.slice(0, 100))} is not allowed: add it to the allowed hosts (allowedHosts, ALLOWED_HOSTS)`,
      )
      c.error = problem
      c.res = answerError(problem, c)
      return Promise.resolve()
    }
    // A preflight is answered by CORS's return value, which Hono takes as the response while none was set.
    const answered = await (cors ? cors(c, checkHost) : checkHost())
    if (answered && !c.finalized) c.res = answered
    c.res.headers.set('x-request-id', requestId)
    const route = c.req.routePath
    const durationMs = performance.now() - started
    httpRequests.inc({ method: c.req.method, route, status: String(c.res.status) })
    httpDuration.observe(durationMs / 1000, { route })
    onRequest?.({ method: c.req.method, route, status: c.res.status, durationMs, requestId })
  })

  if (apiKeys.length > 0) {
    const guard = async (c: { req: { raw: Request } }, next: () => Promise<void>) => {
      const key = assertAuthorized(c.req.raw.headers.get('authorization'), apiKeys)
      let owner = ownerIds.get(key)
      if (!owner) {
        owner = ownerOfApiKey(key)
        ownerIds.set(key, owner)
      }
      owners.set(c.req.raw, await owner)
      await next()
    }
    app.use('/generate', guard)
    app.use('/queue/*', guard)
  }

  registerGenerateRoutes(app, context)
  registerQueueRoutes(app, context)
  registerFileRoutes(app, context)
  registerOpsRoutes(app, context)

  app.notFound((c) => {
    const path = new URL(c.req.url).pathname
    const methods = allowedMethods(app.routes, path)
    if (methods.length > 0) {
      const allow = [...methods, ...(corsOption === false ? [] : ['OPTIONS'])].sort().join(', ')
      return c.json({ detail: `Method ${c.req.method} is not allowed on ${path}; allowed: ${allow}` }, 405, {
        Allow: allow,
      })
    }
    if (!API_METHODS.split(', ').includes(c.req.method)) {
      return c.json({ detail: `Method ${c.req.method} is not allowed; allowed: ${API_METHODS}` }, 405, {
        Allow: API_METHODS,
      })
    }
    return c.json({ detail: `Not found: ${c.req.method} ${path}` }, 404)
  })
  app.onError(answerError)
  return app
}

/** The answer to an error thrown while handling a request: its problem, or a 500 (logged) for anything unexpected. */
function answerError(error: Error, c: Context): Response {
  const problem =
    error instanceof QueueError
      ? queueErrorToProblem(error)
      : error instanceof HttpProblem
        ? error
        : new HttpProblem(500, 'Internal server error')
  if (!(error instanceof HttpProblem || error instanceof QueueError)) console.error('genimage: unhandled error', error)
  return c.json(problem.toBody(), problem.status as 400, problem.headers)
}

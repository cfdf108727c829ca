import {
  BackendError,
  type HttpProblem,
  jobErrors,
  jobErrorToProblem,
  queueErrors,
  queueErrorToProblem,
  resolveGenerateRequest,
  ValidationProblem,
} from '@genimage/core'
import { delay, type HttpHandler, HttpResponse, http } from 'msw'

/** Options every scenario takes. */
export interface ScenarioOptions {
  /** Answer only the first matching request, then fall back to the normal mock. @default false */
  once?: boolean
}

/**
 * One-off behaviours of the mocked API, each a list of handlers to pass to `server.use(...)` / `worker.use(...)`.
 * They sit in front of the normal handlers until `resetHandlers()`, or for one request with `{ once: true }`.
 */
export interface Scenarios {
  /** Generate routes answer 422 exactly as the server's validator would for the request with `overrides` applied. */
  validationError(overrides?: Record<string, unknown>, options?: ScenarioOptions): HttpHandler[]
  /**
   * Generate routes answer 429 with `Retry-After: retryAfter` (seconds). The default asks for longer than
   * `@genimage/client` waits (`retry.maxRetryAfter`, 60 s), so the client throws `RateLimitError` at once; a
   * `retryAfter` within that cap makes the client wait and retry (up to `retry.limit` times, 2 by default).
   * @default { retryAfter: 120 }
   * @example server.use(...genimage.scenarios.rateLimited({ retryAfter: 1, once: true })) // one retry after 1 s
   */
  rateLimited(options?: ScenarioOptions & { retryAfter?: number }): HttpHandler[]
  /**
   * Generate routes answer a server error (500, 502, 503 with `Retry-After: retryAfter`, or 504). As with
   * {@link Scenarios.rateLimited}, the default `retryAfter` is beyond what `@genimage/client` waits, so a 503 throws
   * at once; 500, 502 and 504 are retried after the client's backoff.
   * @default { status: 502, retryAfter: 120 }
   */
  serverError(
    options?: ScenarioOptions & { status?: 500 | 502 | 503 | 504; detail?: string; retryAfter?: number },
  ): HttpHandler[]
  /** Every API route waits `delayMs` before answering normally. */
  slow(options?: ScenarioOptions & { delayMs?: number }): HttpHandler[]
  /** Submissions stay `IN_QUEUE` at `position` forever, and `POST /generate` never answers. */
  stuckInQueue(options?: ScenarioOptions & { position?: number }): HttpHandler[]
  /** The next generation reports progress, then fails before step `step` (502 unless `kind` says otherwise). */
  failAfterProgress(
    options?: ScenarioOptions & { step?: number; kind?: 'execution_failed' | 'out_of_memory' },
  ): HttpHandler[]
  /** Every API route fails at the network level, as when the server is unreachable. */
  networkError(options?: ScenarioOptions): HttpHandler[]
}

/** What scenarios need from the mock they belong to. */
export interface ScenarioContext {
  baseUrl: string
  /** The mock's queue bound, named in the 429 message as the server names its own. */
  maxQueueSize: number
  failNextJob(step: number, error: BackendError): void
}

const problem = (status: number, detail: string, headers: Record<string, string> = {}) =>
  HttpResponse.json({ detail }, { status, headers: { 'x-request-id': crypto.randomUUID(), ...headers } })

/** The answer the app gives for `error`: same status, message and headers (from core's one error table). */
const answer = (error: HttpProblem, detail = error.message) => problem(error.status, detail, { ...error.headers })

/** The server's answer for each status `serverError` can give, worded as the server words it. */
const serverErrors = {
  500: () => jobErrorToProblem(jobErrors.internal()),
  502: () =>
    jobErrorToProblem(
      jobErrors.fromBackend(new BackendError('execution_failed', 'the image backend reported an error')),
    ),
  503: () => queueErrorToProblem(queueErrors.notReady('comfyui', 'restarting')),
  504: () => jobErrorToProblem(jobErrors.timedOut(60_000)),
}

/**
 * Builds the scenario helpers for a mock at `baseUrl`.
 * @example server.use(...genimage.scenarios.rateLimited())
 */
export function createScenarios(context: ScenarioContext): Scenarios {
  const { baseUrl } = context
  const generateRoutes = [`${baseUrl}/generate`, `${baseUrl}/queue/generate`]
  const onGenerate = (resolver: Parameters<typeof http.post>[1], options: ScenarioOptions = {}) =>
    generateRoutes.map((path) => http.post(path, resolver, { once: options.once ?? false }))
  const everyRoute = `${baseUrl}/*`

  return {
    validationError(overrides = { width: 513 }, options) {
      return onGenerate(async ({ request }) => {
        const body: unknown = await request.json().catch(() => ({}))
        try {
          resolveGenerateRequest({ ...(body as object), ...overrides })
        } catch (error) {
          if (error instanceof ValidationProblem) {
            return HttpResponse.json(error.toBody(), { status: 422, headers: { 'x-request-id': crypto.randomUUID() } })
          }
          throw error
        }
        throw new TypeError(`validationError: the overrides ${JSON.stringify(overrides)} make a valid request`)
      }, options)
    },
    rateLimited({ retryAfter = 120, ...options } = {}) {
      return onGenerate(
        () => answer(queueErrorToProblem(queueErrors.queueFull(context.maxQueueSize, retryAfter))),
        options,
      )
    },
    serverError({ status = 502, detail, retryAfter = 120, ...options } = {}) {
      return onGenerate(() => {
        const error = serverErrors[status]()
        const headers: Record<string, string> = { ...error.headers }
        if (headers['Retry-After']) headers['Retry-After'] = String(retryAfter)
        return problem(error.status, detail ?? error.message, headers)
      }, options)
    },
    slow({ delayMs = 1000, once = false } = {}) {
      return [
        http.all(
          everyRoute,
          async () => {
            await delay(delayMs)
          },
          { once },
        ),
      ]
    },
    stuckInQueue({ position = 3, once = false } = {}) {
      const ids: string[] = []
      const status = (id: string) => ({
        status: 'IN_QUEUE' as const,
        request_id: id,
        queue_position: position,
        response_url: `${baseUrl}/queue/requests/${id}`,
      })
      return [
        http.post(`${baseUrl}/generate`, () => delay('infinite'), { once }),
        http.post(
          `${baseUrl}/queue/generate`,
          () => {
            const id = crypto.randomUUID()
            ids.push(id)
            const urls = status(id).response_url
            return HttpResponse.json(
              {
                request_id: id,
                status: 'IN_QUEUE',
                queue_position: position,
                response_url: urls,
                status_url: `${urls}/status`,
                cancel_url: `${urls}/cancel`,
              },
              { status: 202, headers: { 'x-request-id': crypto.randomUUID() } },
            )
          },
          { once },
        ),
        http.get(`${baseUrl}/queue/requests/:id/status`, ({ params }) => {
          const id = String(params.id)
          if (!ids.includes(id)) return undefined
          return HttpResponse.json(status(id), { headers: { 'x-request-id': crypto.randomUUID() } })
        }),
        http.get(`${baseUrl}/queue/requests/:id/status/stream`, ({ params }) => {
          const id = String(params.id)
          if (!ids.includes(id)) return undefined
          const first = new TextEncoder().encode(`event: status\ndata: ${JSON.stringify(status(id))}\n\n`)
          const body = new ReadableStream<Uint8Array>({ start: (controller) => controller.enqueue(first) })
          return new HttpResponse(body, { headers: { 'content-type': 'text/event-stream' } })
        }),
        http.get(`${baseUrl}/queue/requests/:id`, ({ params }) =>
          ids.includes(String(params.id)) ? problem(400, 'Request is still in progress') : undefined,
        ),
      ]
    },
    failAfterProgress({ step = 2, kind = 'execution_failed', once = false } = {}) {
      const message =
        kind === 'out_of_memory'
          ? 'CUDA out of memory in node 13 (SamplerCustom)'
          : 'node 8 (VAEDecode) raised RuntimeError: mocked failure'
      return onGenerate(
        () => {
          context.failNextJob(step, new BackendError(kind, message))
          // Falls through to the normal handlers, which run the job until it fails.
        },
        { once },
      )
    },
    networkError({ once = false } = {}) {
      return [http.all(everyRoute, () => HttpResponse.error(), { once })]
    },
  }
}

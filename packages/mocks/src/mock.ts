import {
  type Backend,
  type BackendError,
  type BackendJob,
  createApp,
  createFetchWebhookSender,
  createSyntheticBackend,
  createWebhookNotifier,
  DEFAULT_ALLOWED_HOSTS,
  MemoryImageStore,
  MemoryWebhookDispatcher,
  type WebhookRetryPolicy,
} from '@genimage/core'
import { type HttpHandler, http } from 'msw'
import { createStepGate, type MockControls } from './controls.js'
import { createFirstLookGate, LookedAtQueue } from './first-look.js'
import { API_ROUTES } from './routes.js'
import { createScenarios, type Scenarios } from './scenarios.js'

/** Options of {@link createGenimageMock}. */
export interface GenimageMockOptions {
  /**
   * The API base URL your client uses; only requests under it are answered. A relative URL such as `/api` resolves
   * against the page's origin in browsers.
   * @default 'http://localhost:8787'
   */
  baseUrl?: string
  /** `'manual'`: generations wait at each step for `controls.step()`; `'auto'`: they run by themselves. @default 'auto' */
  mode?: 'auto' | 'manual'
  /** Simulated time per sampling step in `auto` mode, in ms. @default 0 */
  stepMs?: number
  /**
   * In `auto` mode, the longest a job waits before its first step for its caller to look at it: to read its status,
   * open its status stream, or wait on `POST /generate`. It starts as soon as they do, so `subscribe()` sees every
   * step even with no step time; `0` starts every job at once.
   * @default 500
   */
  firstLookMs?: number
  /** Simulated fixed time per image in `auto` mode (text encode + decode), in ms. @default 0 */
  overheadMs?: number
  /** Jobs allowed to wait before 429. @default 64 */
  maxQueueSize?: number
  /** Longest a generation may run before 504. @default 60000 */
  jobTimeoutMs?: number
  /** API keys to require, like a real server configured with `API_KEYS`; each key sees only its own jobs. @default [] (no auth) */
  apiKeys?: string[]
  /**
   * Hosts accepted in requests (Django `ALLOWED_HOSTS` rules), besides the host of `baseUrl`, which is always allowed.
   * @default ['localhost', '127.0.0.1', '[::1]']
   */
  allowedHosts?: string[]
  /**
   * The secret the mock signs webhooks with (a queued request's `webhook_url`), as a server's `WEBHOOK_SECRETS`; verify
   * them with `verifyWebhook(request, MOCK_WEBHOOK_SECRET)`. Deliveries go through the global `fetch`, so MSW handlers
   * for the webhook URL receive them.
   * @default MOCK_WEBHOOK_SECRET
   */
  webhookSecret?: string
  /**
   * How failed webhook deliveries are retried (any non-2xx or network error).
   * @default { maxAttempts: 3, firstDelayMs: 100, retryForMs: 10000 }
   */
  webhookRetry?: Partial<WebhookRetryPolicy>
}

/**
 * The documented test secret the mocks sign webhooks with by default (`whsec_` + base64 of
 * `genimage-mock-webhook-secret`): never use it on a real server.
 */
export const MOCK_WEBHOOK_SECRET = 'whsec_Z2VuaW1hZ2UtbW9jay13ZWJob29rLXNlY3JldA=='

/** A mocked genimage API: MSW handlers, scenario helpers and step controls over one in-memory queue. */
export interface GenimageMock {
  /** The handlers to pass to `setupServer(...)`, `setupWorker(...)` or `server.use(...)`. */
  readonly handlers: HttpHandler[]
  /** One-off behaviours (errors, latency, stuck queue) for `server.use(...)`. */
  readonly scenarios: Scenarios
  /** Step-by-step control of generations (`mode: 'manual'`). */
  readonly controls: MockControls
  /** The base URL the handlers answer under. */
  readonly baseUrl: string
  /**
   * Answers any request as the mocked API does, outside MSW: 404 for unknown paths, 405 with `Allow` for a method
   * a known path does not take (the mock HTTP server falls back to it after the handlers).
   * @example const response = await mock.fetch(new Request('http://localhost:8787/health'))
   */
  fetch(request: Request): Promise<Response>
  /** Forgets every job and image; call it in `afterEach`. */
  reset(): void
}

/** An armed failure: the next job fails with `error` before running `step`. */
interface PlannedFailure {
  step: number
  error: BackendError
}

const resolveBaseUrl = (baseUrl: string): string => {
  const trimmed = baseUrl.replace(/\/+$/, '')
  if (/^https?:\/\//i.test(trimmed)) return trimmed
  const origin = typeof location === 'undefined' ? undefined : location.origin
  if (trimmed.startsWith('/') && origin) return `${origin}${trimmed}`
  throw new TypeError(
    `baseUrl must be an absolute http(s) URL, or a path such as '/api' in a browser (got '${baseUrl}')`,
  )
}

/**
 * Creates a mocked genimage API backed by the same app and validators as the real server, painting real images.
 * @example
 * const genimage = createGenimageMock({ baseUrl: 'https://api.example.com' })
 * const server = setupServer(...genimage.handlers)
 */
export function createGenimageMock(options: GenimageMockOptions = {}): GenimageMock {
  const baseUrl = resolveBaseUrl(options.baseUrl ?? 'http://localhost:8787')
  const basePath = new URL(baseUrl).pathname.replace(/\/+$/, '')
  const gate = createStepGate(options.mode === 'manual')
  const look = createFirstLookGate(options.mode === 'manual' ? 0 : (options.firstLookMs ?? 500))
  const plannedFailures: PlannedFailure[] = []
  const failures = new Map<string, PlannedFailure>()

  // The gates answer undefined when they let the step run at once (the usual case): no promise then, so a step
  // nobody holds runs without a wait.
  const afterLook = (job: BackendJob, step: number): Promise<void> | undefined => {
    const held = gate.beforeStep(job, step)
    if (held) return held.then(() => failPlanned(job, step))
    failPlanned(job, step)
    return undefined
  }
  const failPlanned = (job: BackendJob, step: number): void => {
    const failure = failures.get(job.id)
    if (failure && step >= failure.step) throw failure.error
  }
  const synthetic = createSyntheticBackend({
    stepMs: options.stepMs ?? 0,
    overheadMs: options.overheadMs ?? 0,
    beforeStep: (job, step) => {
      const looking = step === 1 ? look.beforeFirstStep(job) : undefined
      return looking ? looking.then(() => afterLook(job, step)) : afterLook(job, step)
    },
  })
  const backend: Backend = {
    ...synthetic,
    run(job) {
      const planned = plannedFailures.shift()
      if (!planned) return synthetic.run(job)
      failures.set(job.id, planned)
      return synthetic
        .run(job)
        .then((image) => {
          // A job with fewer steps than planned still fails, after its last step.
          const failure = failures.get(job.id)
          if (failure) throw failure.error
          return image
        })
        .finally(() => failures.delete(job.id))
    },
  }

  const allowedHosts = [...(options.allowedHosts ?? DEFAULT_ALLOWED_HOSTS), new URL(baseUrl).hostname]
  const build = () => {
    const store = new MemoryImageStore()
    const webhooks = new MemoryWebhookDispatcher({
      send: createFetchWebhookSender({ secrets: [options.webhookSecret ?? MOCK_WEBHOOK_SECRET] }),
      retry: { maxAttempts: 3, firstDelayMs: 100, retryForMs: 10_000, ...options.webhookRetry },
    })
    const notify = createWebhookNotifier({ store, dispatcher: webhooks })
    const queue = new LookedAtQueue(
      {
        backend,
        store,
        maxQueueSize: options.maxQueueSize,
        jobTimeoutMs: options.jobTimeoutMs,
        onJobFinished: (record) => {
          look.finished(record.id)
          gate.jobCompleted(record.id)
          if (record.webhook) void notify(record)
        },
      },
      look,
    )
    const app = createApp({
      queue,
      store,
      metrics: queue.metrics,
      basePath,
      apiKeys: options.apiKeys,
      allowedHosts,
      webhooks: {},
    })
    return { queue, app, webhooks }
  }
  let current = build()
  gate.idle = async () => {
    for (;;) {
      const { running, waiting } = await current.queue.health()
      if (running + waiting === 0) return
      await new Promise((r) => setTimeout(r, 1))
    }
  }

  const answer = ({ request }: { request: Request }) => current.app.fetch(request)
  const handlers = API_ROUTES.map(({ method, path }) => http[method](`${baseUrl}${path}`, answer))

  return {
    handlers,
    baseUrl,
    controls: gate,
    fetch: async (request) => current.app.fetch(request),
    scenarios: createScenarios({
      baseUrl,
      maxQueueSize: options.maxQueueSize ?? 64,
      failNextJob: (step, error) => plannedFailures.push({ step, error }),
    }),
    reset() {
      plannedFailures.length = 0
      // Jobs of the forgotten queue end as dropped, so nothing it ran keeps running behind the new one.
      void current.queue.close()
      void current.webhooks.close()
      current = build()
    },
  }
}

/**
 * The handlers of a mocked genimage API with default settings; shorthand for `createGenimageMock(options).handlers`.
 * @example const server = setupServer(...createHandlers({ baseUrl: 'https://api.example.com' }))
 */
export function createHandlers(options: GenimageMockOptions = {}): HttpHandler[] {
  return createGenimageMock(options).handlers
}

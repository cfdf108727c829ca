import { ConnectionError } from './errors/connection-error.js'
import { createApiError } from './errors/create-api-error.js'
import { GenimageError } from './errors/genimage-error.js'
import { TimeoutError } from './errors/timeout-error.js'
import { UserAbortError } from './errors/user-abort-error.js'
import { type HookRequest, runHooks } from './hooks.js'
import { invalid } from './invalid.js'
import type { Config } from './options.js'
import { retryDelay } from './retry.js'
import { randomId } from './runtime.js'
import { abortable, attemptClock, type ExpiredLimit, resolveTimeouts, sleep, type TimeoutOption } from './timeout.js'
import type { WithRequestId } from './types.js'

/**
 * Options every call accepts.
 * @example { signal: controller.signal, timeout: 30_000 }
 */
export interface RequestOptions {
  /** Aborts the call; it then rejects with a `UserAbortError` and is not retried. */
  signal?: AbortSignal
  /** Time limits for this call, over the client's (a number is the whole call's limit in ms). */
  timeout?: TimeoutOption
  /** Headers for this call only; they win over the client's. */
  headers?: HeadersInit
}

/**
 * Options of calls that create work (`generate`, `queue.submit`).
 * @example { idempotencyKey: order.id }
 */
export interface PostOptions extends RequestOptions {
  /**
   * The `Idempotency-Key` sent with every attempt of this call, which is what makes retrying a `POST` safe: the
   * server answers a repeat with the first outcome instead of generating twice. `false` sends none and disables retries.
   * @default crypto.randomUUID(), one per call
   */
  idempotencyKey?: string | false
}

/** One endpoint call, as the client's methods describe it. */
export interface Call {
  method: 'GET' | 'POST' | 'PUT'
  /** Path and query under the base URL, for example `/queue/requests/abc/status?logs=1`. */
  path: string
  /** JSON body. */
  body?: unknown
  /** Statuses that are retried, when not the default ones. */
  retryOn?: readonly number[]
  /** Error answers that are results for this endpoint (cancel's 400 `ALREADY_COMPLETED`). */
  accept?: (status: number, body: unknown) => boolean
}

/**
 * The request of a call as hooks see it: the URL (the proxy's, with the real one in `x-genimage-target-url`), and
 * the headers (the client's, then the call's, and an `x-request-id`). The API key is added later, by {@link send}.
 */
export function prepare(config: Config, method: string, path: string, headers?: HeadersInit): HookRequest {
  const target = config.baseUrl + path
  const merged = new Headers({ accept: 'application/json' })
  // Usually neither is set: then no copy of either.
  if (config.headers !== undefined) copyHeaders(config.headers, merged)
  if (headers !== undefined) copyHeaders(headers, merged)
  if (!merged.has('x-request-id')) merged.set('x-request-id', randomId())
  if (!config.proxyUrl) return { method, url: target, headers: merged }
  merged.set('x-genimage-target-url', target)
  return { method, url: config.proxyUrl, headers: merged }
}

function copyHeaders(init: HeadersInit, into: Headers): void {
  new Headers(init).forEach((value, name) => {
    into.set(name, value)
  })
}

/** The `fetch` to call now: the configured one, else whatever `globalThis.fetch` is at this moment (MSW-safe). */
export function currentFetch(config: Config): typeof globalThis.fetch {
  const fetchNow = config.fetch ?? globalThis.fetch
  if (typeof fetchNow !== 'function') throw new GenimageError('No fetch available: pass `fetch` to createClient')
  return fetchNow
}

async function readBody(response: Response): Promise<unknown> {
  const text = await response.text()
  if (!text) return undefined
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

/**
 * One attempt: the `beforeRequest` hooks, then `fetch` with the API key unless a hook answered, then the
 * `afterResponse` hooks. A failed fetch resolves with `{ lost: cause }`; what a hook throws rejects as it is.
 */
export async function send(
  config: Config,
  request: HookRequest,
  attempt: number,
  init: { body?: string; signal: AbortSignal },
): Promise<{ response: Response; retry: boolean } | { lost: unknown }> {
  const { beforeRequest, afterResponse } = config.hooks
  // runHooks answers undefined without a promise when there are no hooks: nothing to wait for then.
  const before = runHooks(beforeRequest, { request, attempt })
  let response = before && (await before)
  const start = Date.now()
  if (!response) {
    // A copy only for the API key, which the hooks' request never holds.
    const headers = config.apiKey ? new Headers(request.headers) : request.headers
    if (config.apiKey && !headers.has('authorization')) headers.set('authorization', `Bearer ${config.apiKey}`)
    try {
      response = await abortable(
        currentFetch(config)(request.url, { method: request.method, headers, ...init }),
        init.signal,
      )
    } catch (lost) {
      return { lost }
    }
  }
  const after = runHooks(afterResponse, { request, attempt, response, duration: Date.now() - start })
  const answer = after && (await after)
  return answer === 'retry' ? { response, retry: true } : { response: answer ?? response, retry: false }
}

/**
 * Runs one call: attempts (each through {@link send} and the hooks), per-attempt and total time limits, the caller's
 * signal, retries with backoff and `Retry-After`, and the typed error of the last failure (through `beforeError`).
 * Resolves with the JSON body and the request id.
 */
export async function request<T extends object>(
  config: Config,
  call: Call,
  options: PostOptions = {},
): Promise<WithRequestId<T>> {
  const { signal } = options
  const limits = resolveTimeouts(options.timeout, config.timeouts, 'timeout')
  const request = prepare(config, call.method, call.path, options.headers)
  const { headers } = request
  const label = `${call.method} ${config.baseUrl}${call.path}`
  const sentId = headers.get('x-request-id')!
  let body: string | undefined
  if (call.body !== undefined) {
    body = JSON.stringify(call.body)
    headers.set('content-type', 'application/json')
  }
  if (call.method === 'POST' && !headers.has('idempotency-key')) {
    const key = options.idempotencyKey ?? randomId()
    if (key !== false && (typeof key !== 'string' || !key || key.length > 255)) {
      throw invalid('idempotencyKey', 'a string of 1 to 255 characters, or false', key)
    }
    if (key) headers.set('idempotency-key', key)
  }
  const retryable = call.method !== 'POST' || headers.has('idempotency-key')
  // The whole call's limit is a deadline that each attempt's clock also watches: the waits between attempts never
  // reach it (a retry that would is not made), so no timer of its own is needed.
  const end = limits.total ? Date.now() + limits.total : Number.POSITIVE_INFINITY
  const fail = (cause: unknown, expired?: ExpiredLimit): GenimageError => {
    if (signal?.aborted) return new UserAbortError(signal.reason)
    if (expired === 'total') return new TimeoutError('total', limits.total, label)
    if (expired === 'attempt') return new TimeoutError('attempt', limits.attempt, label)
    return cause instanceof GenimageError ? cause : new ConnectionError(label, cause)
  }
  const failed = async (error: GenimageError, attempt: number): Promise<Error> =>
    (await runHooks(config.hooks.beforeError, { request, attempt, error })) ?? error
  for (let attempt = 1; ; attempt++) {
    if (signal?.aborted) throw await failed(fail(undefined), attempt)
    if (Date.now() >= end) throw await failed(fail(undefined, 'total'), attempt)
    const clock = attemptClock(signal, limits.attempt, end)
    let error: GenimageError
    let forced = false
    try {
      // Outside the catch below: what a hook throws is not a failed attempt, and reaches the caller as it is.
      const sent = await send(config, request, attempt, { body, signal: clock.signal })
      try {
        if ('lost' in sent) throw sent.lost
        const { response } = sent
        forced = sent.retry
        const requestId = response.headers.get('x-request-id') || sentId
        const data = await abortable(readBody(response), clock.signal)
        if (!forced && (response.ok || call.accept?.(response.status, data))) {
          if (typeof data !== 'object' || data === null) {
            throw new GenimageError(
              `Expected a JSON object from ${label} (HTTP ${response.status}, request ${requestId})`,
            )
          }
          return { ...(data as T), requestId }
        }
        error = createApiError({ status: response.status, body: data, requestId, headers: response.headers })
      } catch (cause) {
        error = fail(cause, clock.expired())
      }
    } finally {
      clock.clear()
    }
    // A hook's 'retry' starts the next attempt at once, within the same limits as any other retry.
    const delay =
      !retryable || attempt > config.retry.limit
        ? undefined
        : forced
          ? 0
          : retryDelay(config.retry, attempt, error, call.retryOn)
    if (delay === undefined || Date.now() + delay >= end) throw await failed(error, attempt)
    await runHooks(config.hooks.beforeRetry, { request, attempt: attempt + 1, error, delay })
    await sleep(delay, signal).catch(async (cause) => {
      throw await failed(fail(cause), attempt + 1)
    })
  }
}

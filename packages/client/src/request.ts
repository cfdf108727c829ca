import { ConnectionError } from './errors/connection-error.js'
import { createApiError } from './errors/create-api-error.js'
import { GenimageError } from './errors/genimage-error.js'
import { TimeoutError } from './errors/timeout-error.js'
import { UserAbortError } from './errors/user-abort-error.js'
import { invalid } from './invalid.js'
import type { Config } from './options.js'
import { retryDelay } from './retry.js'
import { randomId } from './runtime.js'
import { abortable, linkSignals, resolveTimeouts, sleep, type TimeoutOption, timer } from './timeout.js'
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

/** The URL to fetch and the headers of a call: auth, the caller's headers, an `x-request-id`, the proxy target. */
export function prepare(config: Config, path: string, headers?: HeadersInit): { url: string; headers: Headers } {
  const target = config.baseUrl + path
  const merged = new Headers({ accept: 'application/json' })
  if (config.apiKey) merged.set('authorization', `Bearer ${config.apiKey}`)
  for (const init of [config.headers, headers]) {
    new Headers(init).forEach((value, name) => {
      merged.set(name, value)
    })
  }
  if (!merged.has('x-request-id')) merged.set('x-request-id', randomId())
  if (!config.proxyUrl) return { url: target, headers: merged }
  merged.set('x-genimage-target-url', target)
  return { url: config.proxyUrl, headers: merged }
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
 * Runs one call: attempts, per-attempt and total time limits, the caller's signal, retries with backoff and
 * `Retry-After`, and the typed error of the last failure. Resolves with the JSON body and the request id.
 */
export async function request<T extends object>(
  config: Config,
  call: Call,
  options: PostOptions = {},
): Promise<WithRequestId<T>> {
  const { signal } = options
  const limits = resolveTimeouts(options.timeout, config.timeouts, 'timeout')
  const { url, headers } = prepare(config, call.path, options.headers)
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
  const total = timer(limits.total)
  const end = limits.total ? Date.now() + limits.total : Number.POSITIVE_INFINITY
  const waitSignal = linkSignals([signal, total.signal])
  const fail = (cause: unknown, attempt?: AbortSignal): GenimageError => {
    if (signal?.aborted) return new UserAbortError(signal.reason)
    if (total.signal?.aborted) return new TimeoutError('total', limits.total, label)
    if (attempt?.aborted) return new TimeoutError('attempt', limits.attempt, label)
    return cause instanceof GenimageError ? cause : new ConnectionError(label, cause)
  }
  try {
    for (let retry = 1; ; retry++) {
      if (waitSignal.signal.aborted) throw fail(undefined)
      const attempt = timer(limits.attempt)
      const link = linkSignals([waitSignal.signal, attempt.signal])
      let error: GenimageError
      try {
        const response = await abortable(
          currentFetch(config)(url, { method: call.method, headers, body, signal: link.signal }),
          link.signal,
        )
        const requestId = response.headers.get('x-request-id') || sentId
        const data = await abortable(readBody(response), link.signal)
        if (response.ok || call.accept?.(response.status, data)) {
          if (typeof data !== 'object' || data === null) {
            throw new GenimageError(
              `Expected a JSON object from ${label} (HTTP ${response.status}, request ${requestId})`,
            )
          }
          return { ...(data as T), requestId }
        }
        error = createApiError({ status: response.status, body: data, requestId, headers: response.headers })
      } catch (cause) {
        error = fail(cause, attempt.signal)
      } finally {
        attempt.clear()
        link.unlink()
      }
      const delay = retryable ? retryDelay(config.retry, retry, error, call.retryOn) : undefined
      if (delay === undefined || Date.now() + delay >= end) throw error
      await sleep(delay, waitSignal.signal).catch((cause) => {
        throw fail(cause)
      })
    }
  } finally {
    total.clear()
    waitSignal.unlink()
  }
}

import type { Hooks } from './hooks.js'
import { invalid } from './invalid.js'
import { defaultRetry, type RetryOptions, type RetryPolicy } from './retry.js'
import { resolveTimeouts, type TimeoutOption, type Timeouts } from './timeout.js'

/**
 * How to reach the server and how patient to be.
 * @example createClient({ baseUrl: 'https://genimage.example.com', apiKey: process.env.GENIMAGE_KEY })
 */
export interface ClientOptions {
  /**
   * The server's absolute http(s) URL; paths such as `/generate` are appended to it.
   * @example 'https://genimage.example.com'
   */
  baseUrl: string
  /** API key, sent as `Authorization: Bearer <key>`. Refused in browsers unless `dangerouslyAllowBrowser` is set. */
  apiKey?: string
  /**
   * Send every call to this same-origin proxy instead, with the real URL in the `x-genimage-target-url` header; the
   * proxy adds the key server-side. A path (`/api/genimage`) or an absolute http(s) URL.
   * @example '/api/genimage'
   */
  proxyUrl?: string
  /**
   * The `fetch` to use. When absent, `globalThis.fetch` is read at each request, so MSW's `server.listen()` works
   * even when it runs after `createClient`.
   * @default globalThis.fetch
   */
  fetch?: typeof fetch
  /** Headers added to every request (a call's own `headers` win). */
  headers?: HeadersInit
  /**
   * Time limits: a number is the whole call's limit in ms; `0` or `false` turns them off.
   * @default { attempt: 60_000, total: 180_000 }
   */
  timeout?: TimeoutOption
  /**
   * Retry policy, or `false` to never retry.
   * @default { limit: 2, baseDelay: 500, maxDelay: 8000, jitter: 0.25, maxRetryAfter: 60_000 }
   */
  retry?: RetryOptions | false
  /**
   * Functions called around each HTTP attempt, for tracing headers, logging, credential refresh and error mapping.
   * They never see `apiKey`, which is added after the `beforeRequest` hooks.
   * @default {}
   * @example { hooks: { beforeRequest: [({ request }) => request.headers.set('traceparent', traceparent())] } }
   */
  hooks?: Hooks
  /**
   * Allow `apiKey` in a browser, where every visitor can read it. Prefer `proxyUrl`.
   * @default false
   */
  dangerouslyAllowBrowser?: boolean
}

/** The options of a client once checked, with every default filled in. */
export interface Config {
  baseUrl: string
  apiKey: string | undefined
  proxyUrl: string | undefined
  fetch: typeof fetch | undefined
  headers: HeadersInit | undefined
  timeouts: Timeouts
  retry: RetryPolicy
  hooks: Hooks
}

/** The default time limits: image generation is slow, a cold worker slower. */
export const defaultTimeouts: Timeouts = { attempt: 60_000, total: 180_000 }

const httpUrl = /^https?:\/\/[^/?#\s]/i

function count(value: unknown, name: string, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !(value >= 0 && value <= max))
    throw invalid(name, `a number from 0 to ${max}`, value)
  return value
}

function resolveRetry(retry: unknown): RetryPolicy {
  if (retry === false) return { ...defaultRetry, limit: 0 }
  if (retry === undefined) return defaultRetry
  if (typeof retry !== 'object' || retry === null) throw invalid('retry', 'an object or false', retry)
  const options = retry as RetryOptions
  const limit = count(options.limit, 'retry.limit', defaultRetry.limit)
  if (!Number.isInteger(limit)) throw invalid('retry.limit', 'a whole number', limit)
  return {
    limit,
    baseDelay: count(options.baseDelay, 'retry.baseDelay', defaultRetry.baseDelay),
    maxDelay: count(options.maxDelay, 'retry.maxDelay', defaultRetry.maxDelay),
    jitter: count(options.jitter, 'retry.jitter', defaultRetry.jitter, 1),
    maxRetryAfter: count(options.maxRetryAfter, 'retry.maxRetryAfter', defaultRetry.maxRetryAfter),
  }
}

/** Checks the options of `createClient`, throwing a `TypeError` that names the first invalid one. */
export function resolveOptions(options: ClientOptions): Config {
  if (typeof options !== 'object' || options === null) throw invalid('options', 'an object with a baseUrl', options)
  const { baseUrl, apiKey, proxyUrl, fetch, headers } = options
  if (typeof baseUrl !== 'string' || !httpUrl.test(baseUrl)) {
    throw invalid('baseUrl', "an absolute http(s) URL such as 'https://genimage.example.com'", baseUrl)
  }
  if (apiKey !== undefined && (typeof apiKey !== 'string' || !apiKey))
    throw invalid('apiKey', 'a non-empty string', apiKey)
  if (proxyUrl !== undefined && (typeof proxyUrl !== 'string' || !(proxyUrl[0] === '/' || httpUrl.test(proxyUrl)))) {
    throw invalid('proxyUrl', "a path such as '/api/genimage' or an absolute http(s) URL", proxyUrl)
  }
  if (fetch !== undefined && typeof fetch !== 'function') throw invalid('fetch', 'a function', fetch)
  if (headers !== undefined && (typeof headers !== 'object' || headers === null)) {
    throw invalid('headers', 'a Headers object, a record or an array of pairs', headers)
  }
  const hooks = options.hooks ?? {}
  for (const [name, list] of Object.entries(hooks)) {
    if (list !== undefined && !(Array.isArray(list) && list.every((hook) => typeof hook === 'function'))) {
      throw invalid(`hooks.${name}`, 'an array of functions', list)
    }
  }
  const allow = options.dangerouslyAllowBrowser
  if (allow !== undefined && typeof allow !== 'boolean') throw invalid('dangerouslyAllowBrowser', 'a boolean', allow)
  return {
    baseUrl: baseUrl.replace(/\/+$/, ''),
    apiKey,
    proxyUrl,
    fetch,
    headers,
    timeouts: resolveTimeouts(options.timeout, defaultTimeouts, 'timeout'),
    retry: resolveRetry(options.retry),
    hooks,
  }
}

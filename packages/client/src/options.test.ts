import { describe, expect, it } from 'vitest'
import { type ClientOptions, defaultTimeouts, resolveOptions } from './options.js'
import { defaultRetry } from './retry.js'

const baseUrl = 'https://genimage.example.com'
const resolve = (options: Record<string, unknown>) => () => resolveOptions(options as unknown as ClientOptions)

describe('resolveOptions', () => {
  it('fills in the defaults and trims trailing slashes from baseUrl', () => {
    const config = resolveOptions({ baseUrl: `${baseUrl}/v1//` })
    expect(config.baseUrl).toBe(`${baseUrl}/v1`)
    expect(config.timeouts).toEqual({ attempt: 60_000, total: 180_000 })
    expect(config.retry).toEqual({ limit: 2, baseDelay: 500, maxDelay: 8000, jitter: 0.25, maxRetryAfter: 60_000 })
    expect(config.timeouts).toEqual(defaultTimeouts)
    expect(config.retry).toEqual(defaultRetry)
  })

  it.each([
    [{}, "genimage: `baseUrl` must be an absolute http(s) URL such as 'https://genimage.example.com'; got undefined"],
    [
      { baseUrl: 'localhost:8787' },
      "`baseUrl` must be an absolute http(s) URL such as 'https://genimage.example.com'; got 'localhost:8787'",
    ],
    [{ baseUrl: '/api' }, "got '/api'"],
    [{ baseUrl: 'ftp://files.example.com' }, "got 'ftp://files.example.com'"],
    [{ baseUrl, apiKey: '' }, "`apiKey` must be a non-empty string; got ''"],
    [
      { baseUrl, proxyUrl: 'api/proxy' },
      "`proxyUrl` must be a path such as '/api/genimage' or an absolute http(s) URL",
    ],
    [{ baseUrl, fetch: 'fetch' }, "`fetch` must be a function; got 'fetch'"],
    [{ baseUrl, headers: 'x-a: 1' }, '`headers` must be a Headers object, a record or an array of pairs'],
    [{ baseUrl, timeout: -1 }, '`timeout` must be a number of milliseconds from 0 to 2147483647, or false; got -1'],
    [{ baseUrl, timeout: { attempt: -5 } }, '`timeout.attempt` must be a number of milliseconds'],
    [{ baseUrl, timeout: { total: Number.NaN } }, '`timeout.total` must be a number of milliseconds'],
    [{ baseUrl, timeout: 2 ** 31 }, 'from 0 to 2147483647'],
    [
      { baseUrl, timeout: '5000' },
      "`timeout` must be a number of milliseconds from 0 to 2147483647, or false; got '5000'",
    ],
    [{ baseUrl, retry: 3 }, '`retry` must be an object or false; got 3'],
    [{ baseUrl, retry: { limit: 1.5 } }, '`retry.limit` must be a whole number; got 1.5'],
    [{ baseUrl, retry: { limit: -1 } }, '`retry.limit` must be a number from 0'],
    [{ baseUrl, retry: { jitter: 2 } }, '`retry.jitter` must be a number from 0 to 1; got 2'],
    [{ baseUrl, retry: { maxRetryAfter: -1 } }, '`retry.maxRetryAfter` must be a number from 0'],
    [{ baseUrl, dangerouslyAllowBrowser: 'yes' }, "`dangerouslyAllowBrowser` must be a boolean; got 'yes'"],
  ])('rejects %o with a TypeError naming the option', (options, message) => {
    expect(resolve(options)).toThrow(TypeError)
    expect(resolve(options)).toThrow(message)
  })

  it('rejects a missing options object', () => {
    expect(resolve(undefined as unknown as Record<string, unknown>)).toThrow(
      '`options` must be an object with a baseUrl',
    )
  })

  it('accepts a path or an absolute URL as proxyUrl', () => {
    expect(resolveOptions({ baseUrl, proxyUrl: '/api/genimage' }).proxyUrl).toBe('/api/genimage')
    expect(resolveOptions({ baseUrl, proxyUrl: 'https://app.example.com/p' }).proxyUrl).toBe(
      'https://app.example.com/p',
    )
  })

  it('reads a timeout number as the total limit, and 0 or false as no limits', () => {
    expect(resolveOptions({ baseUrl, timeout: 5000 }).timeouts).toEqual({ attempt: 60_000, total: 5000 })
    expect(resolveOptions({ baseUrl, timeout: 0 }).timeouts).toEqual({ attempt: 0, total: 0 })
    expect(resolveOptions({ baseUrl, timeout: false }).timeouts).toEqual({ attempt: 0, total: 0 })
    expect(resolveOptions({ baseUrl, timeout: { attempt: false } }).timeouts).toEqual({ attempt: 0, total: 180_000 })
  })

  it('merges retry options over the defaults; false means no retries', () => {
    expect(resolveOptions({ baseUrl, retry: { limit: 5, jitter: 0 } }).retry).toEqual({
      ...defaultRetry,
      limit: 5,
      jitter: 0,
    })
    expect(resolveOptions({ baseUrl, retry: false }).retry.limit).toBe(0)
  })
})

import { afterEach, describe, expect, it, vi } from 'vitest'
import { ConnectionError } from './errors/connection-error.js'
import { createApiError } from './errors/create-api-error.js'
import { GenimageError } from './errors/genimage-error.js'
import { TimeoutError } from './errors/timeout-error.js'
import { UserAbortError } from './errors/user-abort-error.js'
import { defaultRetry, type RetryPolicy, retryDelay } from './retry.js'
import { parseRetryAfter } from './retry-after.js'

const policy: RetryPolicy = { ...defaultRetry, jitter: 0 }
const status = (code: number, headers: Record<string, string> = {}) =>
  createApiError({ status: code, body: {}, requestId: 'r', headers: new Headers(headers) })

afterEach(() => {
  vi.restoreAllMocks()
})

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-01-01T00:00:00Z')

  it('reads delay-seconds and HTTP dates, in ms', () => {
    expect(parseRetryAfter('2', now)).toBe(2000)
    expect(parseRetryAfter(' 0 ', now)).toBe(0)
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now)).toBe(5000)
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:59:00 GMT', now)).toBe(0)
  })

  it('ignores absent and invalid values', () => {
    expect(parseRetryAfter(null, now)).toBeUndefined()
    expect(parseRetryAfter('', now)).toBeUndefined()
    expect(parseRetryAfter('-1', now)).toBeUndefined()
    expect(parseRetryAfter('1.5', now)).toBeUndefined()
    expect(parseRetryAfter('soon', now)).toBeUndefined()
  })
})

describe('retryDelay', () => {
  it('doubles from baseDelay up to maxDelay', () => {
    const delays = [1, 2, 3, 4, 5, 6].map((n) => retryDelay({ ...policy, limit: 6 }, n, status(500)))
    expect(delays).toEqual([500, 1000, 2000, 4000, 8000, 8000])
  })

  it('removes up to `jitter` of the wait at random', () => {
    vi.spyOn(Math, 'random').mockReturnValue(1)
    expect(retryDelay({ ...policy, jitter: 0.25 }, 2, status(502))).toBe(750)
  })

  it('stops past the limit', () => {
    expect(retryDelay(policy, 3, status(503))).toBeUndefined()
    expect(retryDelay({ ...policy, limit: 0 }, 1, status(503))).toBeUndefined()
  })

  it('retries 408, 429, 500, 502, 503 and 504 only', () => {
    const retried = [400, 401, 404, 408, 409, 413, 415, 422, 429, 500, 502, 503, 504].filter(
      (code) => retryDelay(policy, 1, status(code)) !== undefined,
    )
    expect(retried).toEqual([408, 429, 500, 502, 503, 504])
  })

  it('takes Retry-After on 429 and 503 only, within maxRetryAfter', () => {
    expect(retryDelay(policy, 1, status(429, { 'retry-after': '3' }))).toBe(3000)
    expect(retryDelay(policy, 1, status(503, { 'retry-after': '60' }))).toBe(60_000)
    expect(retryDelay(policy, 1, status(503, { 'retry-after': '61' }))).toBeUndefined()
    expect(retryDelay(policy, 1, status(500, { 'retry-after': '3' }))).toBe(500)
  })

  it('retries connection errors and attempt timeouts, never aborts, total timeouts or other errors', () => {
    expect(retryDelay(policy, 1, new ConnectionError('x', new Error('reset')))).toBe(500)
    expect(retryDelay(policy, 1, new TimeoutError('attempt', 1, 'x'))).toBe(500)
    expect(retryDelay(policy, 1, new TimeoutError('total', 1, 'x'))).toBeUndefined()
    expect(retryDelay(policy, 1, new UserAbortError(undefined))).toBeUndefined()
    expect(retryDelay(policy, 1, new GenimageError('bad JSON'))).toBeUndefined()
  })

  it('uses the statuses of the endpoint when given', () => {
    expect(retryDelay(policy, 1, status(502), [503])).toBeUndefined()
    expect(retryDelay(policy, 1, status(503), [503])).toBe(500)
  })
})

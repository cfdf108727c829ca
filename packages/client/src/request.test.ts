import { afterEach, describe, expect, it, vi } from 'vitest'
import { createClient } from './client.js'
import { ConnectionError } from './errors/connection-error.js'
import { GenimageError } from './errors/genimage-error.js'
import { InternalServerError } from './errors/internal-server-error.js'
import { RateLimitError } from './errors/rate-limit-error.js'
import { ServiceUnavailableError } from './errors/service-unavailable-error.js'
import { TimeoutError } from './errors/timeout-error.js'
import { UserAbortError } from './errors/user-abort-error.js'
import { ValidationError } from './errors/validation-error.js'
import { fetchStub, generated, hang, hangDeaf, json, useFakeClock } from './test-helpers.js'

const baseUrl = 'http://api.test'
const noJitter = { jitter: 0 }

afterEach(() => {
  vi.useRealTimers()
  vi.unstubAllGlobals()
})

describe('a successful call', () => {
  it('posts the JSON body and resolves with the response and its x-request-id', async () => {
    const fetch = fetchStub(json(generated, 200, { 'x-request-id': 'req-1' }))
    const result = await createClient({ baseUrl: `${baseUrl}/`, fetch }).generate({ prompt: 'a fox', width: 768 })
    expect(result).toEqual({ ...generated, requestId: 'req-1' })
    const [call] = fetch.calls
    expect(call?.url).toBe('http://api.test/generate')
    expect(call?.method).toBe('POST')
    expect(call?.body).toEqual({ prompt: 'a fox', width: 768 })
    expect(call?.headers.get('content-type')).toBe('application/json')
    expect(call?.headers.get('accept')).toBe('application/json')
  })

  it('falls back to the x-request-id it sent when the response has none', async () => {
    const fetch = fetchStub(json(generated))
    const { requestId } = await createClient({ baseUrl, fetch }).generate({ prompt: 'x' })
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/)
    expect(fetch.calls[0]?.headers.get('x-request-id')).toBe(requestId)
  })

  it('uses an x-request-id the caller chose', async () => {
    const fetch = fetchStub(json(generated))
    const { requestId } = await createClient({ baseUrl, fetch }).generate(
      { prompt: 'x' },
      { headers: { 'x-request-id': 'mine' } },
    )
    expect(requestId).toBe('mine')
  })

  it('sends the API key as a bearer token, client headers, then call headers on top', async () => {
    const fetch = fetchStub(json(generated))
    const client = createClient({ baseUrl, fetch, apiKey: 'sk-1', headers: { 'x-app': 'a', 'x-team': 't' } })
    await client.generate({ prompt: 'x' }, { headers: { 'x-app': 'b' } })
    const headers = fetch.calls[0]?.headers
    expect(headers?.get('authorization')).toBe('Bearer sk-1')
    expect(headers?.get('x-app')).toBe('b')
    expect(headers?.get('x-team')).toBe('t')
  })

  it('goes through proxyUrl with the real URL in x-genimage-target-url', async () => {
    const fetch = fetchStub(json(generated))
    await createClient({ baseUrl, fetch, proxyUrl: '/api/genimage' }).generate({ prompt: 'x' })
    expect(fetch.calls[0]?.url).toBe('/api/genimage')
    expect(fetch.calls[0]?.headers.get('x-genimage-target-url')).toBe('http://api.test/generate')
    expect(fetch.calls[0]?.headers.has('authorization')).toBe(false)
  })

  it('reads globalThis.fetch at each request, so a fetch installed after createClient is used', async () => {
    const client = createClient({ baseUrl })
    const first = fetchStub(json(generated, 200, { 'x-request-id': 'one' }))
    vi.stubGlobal('fetch', first)
    expect((await client.generate({ prompt: 'x' })).requestId).toBe('one')
    const second = fetchStub(json(generated, 200, { 'x-request-id': 'two' }))
    vi.stubGlobal('fetch', second)
    expect((await client.generate({ prompt: 'x' })).requestId).toBe('two')
    expect(first.calls).toHaveLength(1)
  })

  it('rejects a success body that is not a JSON object, naming the request', async () => {
    const fetch = fetchStub(new Response('<html>', { status: 200 }))
    const error = await createClient({ baseUrl, fetch })
      .generate({ prompt: 'x' })
      .catch((e) => e)
    expect(error).toBeInstanceOf(GenimageError)
    expect(error.message).toMatch(/Expected a JSON object from POST http:\/\/api\.test\/generate \(HTTP 200/)
    expect(fetch.calls).toHaveLength(1)
  })
})

describe('retries', () => {
  it('retries 503 with exponential backoff and resolves on the third attempt', async () => {
    useFakeClock()
    const fetch = fetchStub(json({ detail: 'busy' }, 503), json({ detail: 'busy' }, 503), json(generated))
    const client = createClient({ baseUrl, fetch, retry: { ...noJitter, baseDelay: 100 } })
    const pending = client.generate({ prompt: 'x' })
    await vi.runAllTimersAsync()
    await expect(pending).resolves.toMatchObject({ seed: 42 })
    const [a, b, c] = fetch.calls.map((call) => call.at)
    expect([b! - a!, c! - b!]).toEqual([100, 200])
  })

  it('waits the Retry-After seconds of a 429 instead of the backoff', async () => {
    useFakeClock()
    const fetch = fetchStub(json({ detail: 'Queue is full' }, 429, { 'retry-after': '1' }), json(generated))
    const pending = createClient({ baseUrl, fetch, retry: { baseDelay: 10 } }).generate({ prompt: 'x' })
    await vi.runAllTimersAsync()
    await pending
    expect(fetch.calls[1]!.at - fetch.calls[0]!.at).toBe(1000)
  })

  it('waits until a Retry-After HTTP date on a 503', async () => {
    useFakeClock()
    vi.setSystemTime(new Date('2026-01-01T00:00:00Z'))
    const later = 'Thu, 01 Jan 2026 00:00:03 GMT'
    const fetch = fetchStub(json({ detail: 'restarting' }, 503, { 'retry-after': later }), json(generated))
    const pending = createClient({ baseUrl, fetch }).generate({ prompt: 'x' })
    await vi.runAllTimersAsync()
    await pending
    expect(fetch.calls[1]!.at - fetch.calls[0]!.at).toBe(3000)
  })

  it('gives up at once when Retry-After is above maxRetryAfter', async () => {
    const fetch = fetchStub(json({ detail: 'full' }, 429, { 'retry-after': '120' }), json(generated))
    const error = await createClient({ baseUrl, fetch })
      .generate({ prompt: 'x' })
      .catch((e) => e)
    expect(error).toBeInstanceOf(RateLimitError)
    expect(error.retryAfter).toBe(120)
    expect(fetch.calls).toHaveLength(1)
  })

  it('gives up at once when the wait would pass the total time limit', async () => {
    const fetch = fetchStub(json({ detail: 'restarting' }, 503, { 'retry-after': '5' }), json(generated))
    const client = createClient({ baseUrl, fetch, timeout: { total: 3000 } })
    await expect(client.generate({ prompt: 'x' })).rejects.toBeInstanceOf(ServiceUnavailableError)
    expect(fetch.calls).toHaveLength(1)
  })

  it('stops after limit retries and throws the last error', async () => {
    useFakeClock()
    const fetch = fetchStub(json({ detail: 'boom' }, 500))
    const pending = createClient({ baseUrl, fetch }).generate({ prompt: 'x' })
    const settled = pending.catch((e) => e)
    await vi.runAllTimersAsync()
    expect(await settled).toBeInstanceOf(InternalServerError)
    expect(fetch.calls).toHaveLength(3)
  })

  it('never retries when retry is false', async () => {
    const fetch = fetchStub(json({ detail: 'boom' }, 500), json(generated))
    await expect(createClient({ baseUrl, fetch, retry: false }).generate({ prompt: 'x' })).rejects.toThrow('boom')
    expect(fetch.calls).toHaveLength(1)
  })

  it('does not retry statuses that will not change (422)', async () => {
    const detail = [{ loc: ['body', 'width'], msg: 'Input should be a multiple of 8', type: 'multiple_of' }]
    const fetch = fetchStub(json({ detail }, 422), json(generated))
    await expect(createClient({ baseUrl, fetch }).generate({ prompt: 'x', width: 513 })).rejects.toBeInstanceOf(
      ValidationError,
    )
    expect(fetch.calls).toHaveLength(1)
  })

  it('retries a POST with the same Idempotency-Key on every attempt, and a new key per call', async () => {
    useFakeClock()
    const fetch = fetchStub(json({}, 502), json(generated))
    const client = createClient({ baseUrl, fetch })
    const first = client.generate({ prompt: 'x' })
    await vi.runAllTimersAsync()
    await first
    await client.generate({ prompt: 'x' })
    const keys = fetch.calls.map((call) => call.headers.get('idempotency-key'))
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/)
    expect(keys[1]).toBe(keys[0])
    expect(keys[2]).not.toBe(keys[0])
    expect(fetch.calls[1]?.headers.get('x-request-id')).toBe(fetch.calls[0]?.headers.get('x-request-id'))
  })

  it('sends the caller key when given one', async () => {
    const fetch = fetchStub(json(generated))
    await createClient({ baseUrl, fetch }).generate({ prompt: 'x' }, { idempotencyKey: 'order-7' })
    expect(fetch.calls[0]?.headers.get('idempotency-key')).toBe('order-7')
  })

  it('never retries a POST sent without a key', async () => {
    const fetch = fetchStub(json({ detail: 'busy' }, 503), json(generated))
    const client = createClient({ baseUrl, fetch })
    await expect(client.generate({ prompt: 'x' }, { idempotencyKey: false })).rejects.toBeInstanceOf(
      ServiceUnavailableError,
    )
    expect(fetch.calls).toHaveLength(1)
    expect(fetch.calls[0]?.headers.has('idempotency-key')).toBe(false)
  })

  it('refuses an invalid idempotency key', async () => {
    const client = createClient({ baseUrl, fetch: fetchStub(json(generated)) })
    await expect(client.generate({ prompt: 'x' }, { idempotencyKey: '' })).rejects.toThrow(
      "genimage: `idempotencyKey` must be a string of 1 to 255 characters, or false; got ''",
    )
  })

  it('retries network errors and then throws a ConnectionError with the cause', async () => {
    useFakeClock()
    const cause = Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } })
    const fetch = fetchStub(cause)
    const settled = createClient({ baseUrl, fetch })
      .queue.status('abc')
      .catch((e) => e)
    await vi.runAllTimersAsync()
    const error = await settled
    expect(error).toBeInstanceOf(ConnectionError)
    expect(error.cause).toBe(cause)
    expect(error.message).toBe('Could not reach GET http://api.test/queue/requests/abc/status (ECONNREFUSED)')
    expect(fetch.calls).toHaveLength(3)
  })
})

describe('time limits and aborts', () => {
  it('times out each attempt, retries, then throws TimeoutError of kind attempt', async () => {
    useFakeClock()
    const fetch = fetchStub(hang)
    const client = createClient({
      baseUrl,
      fetch,
      timeout: { attempt: 1000, total: 0 },
      retry: { limit: 1, ...noJitter },
    })
    const settled = client.generate({ prompt: 'x' }).catch((e) => e)
    await vi.runAllTimersAsync()
    const error = await settled
    expect(error).toBeInstanceOf(TimeoutError)
    expect(error.kind).toBe('attempt')
    expect(error.timeout).toBe(1000)
    expect(fetch.calls.map((call) => call.at - fetch.calls[0]!.at)).toEqual([0, 1500])
  })

  it('throws TimeoutError of kind total when the whole call runs out, without another attempt', async () => {
    useFakeClock()
    const fetch = fetchStub(hang)
    const client = createClient({ baseUrl, fetch, timeout: { attempt: 0, total: 1500 } })
    const settled = client.generate({ prompt: 'x' }).catch((e) => e)
    await vi.advanceTimersByTimeAsync(1500)
    const error = await settled
    expect(error).toBeInstanceOf(TimeoutError)
    expect(error.kind).toBe('total')
    expect(error.message).toBe('POST http://api.test/generate timed out after 1500 ms (total, including retries)')
    expect(fetch.calls).toHaveLength(1)
  })

  it('treats a number as the total limit of the call, over the client default', async () => {
    useFakeClock()
    const client = createClient({ baseUrl, fetch: fetchStub(hang) })
    const settled = client.generate({ prompt: 'x' }, { timeout: 200 }).catch((e) => e)
    await vi.advanceTimersByTimeAsync(200)
    expect(await settled).toMatchObject({ name: 'TimeoutError', kind: 'total', timeout: 200 })
  })

  it('times out even when fetch ignores the abort signal', async () => {
    useFakeClock()
    const client = createClient({ baseUrl, fetch: fetchStub(hangDeaf), timeout: 500 })
    const settled = client.generate({ prompt: 'x' }).catch((e) => e)
    await vi.advanceTimersByTimeAsync(500)
    expect(await settled).toBeInstanceOf(TimeoutError)
  })

  it('rejects with UserAbortError carrying the reason, and makes no further attempt', async () => {
    const fetch = fetchStub(hang)
    const controller = new AbortController()
    const settled = createClient({ baseUrl, fetch })
      .generate({ prompt: 'x' }, { signal: controller.signal })
      .catch((e) => e)
    const reason = new Error('user left')
    controller.abort(reason)
    const error = await settled
    expect(error).toBeInstanceOf(UserAbortError)
    expect(error.cause).toBe(reason)
    expect(fetch.calls).toHaveLength(1)
  })

  it('stops during a backoff wait when the caller aborts', async () => {
    useFakeClock()
    const fetch = fetchStub(json({ detail: 'busy' }, 503))
    const controller = new AbortController()
    const settled = createClient({ baseUrl, fetch })
      .queue.status('abc', { signal: controller.signal })
      .catch((e) => e)
    await vi.advanceTimersByTimeAsync(100)
    controller.abort()
    await vi.runAllTimersAsync()
    expect(await settled).toBeInstanceOf(UserAbortError)
    expect(fetch.calls).toHaveLength(1)
  })

  it('does not call fetch when the signal is already aborted', async () => {
    const fetch = fetchStub(json(generated))
    const client = createClient({ baseUrl, fetch })
    await expect(client.generate({ prompt: 'x' }, { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(
      UserAbortError,
    )
    expect(fetch.calls).toHaveLength(0)
  })
})

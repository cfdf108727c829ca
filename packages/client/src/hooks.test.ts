import { afterEach, describe, expect, it, vi } from 'vitest'
import { createClient } from './client.js'
import { AuthenticationError } from './errors/authentication-error.js'
import { GenimageError } from './errors/genimage-error.js'
import { ServiceUnavailableError } from './errors/service-unavailable-error.js'
import { TimeoutError } from './errors/timeout-error.js'
import { type HookState, type Hooks, runHooks } from './hooks.js'
import { eventStream, fetchStub, generated, hang, json, useFakeClock } from './test-helpers.js'

const baseUrl = 'http://api.test'
const busy = () => json({ detail: 'busy' }, 503)
const unauthorized = () => json({ detail: 'Invalid API key' }, 401)

afterEach(() => {
  vi.useRealTimers()
})

describe('runHooks', () => {
  it('returns nothing at once without hooks, else resolves with the first value one returns', async () => {
    expect(runHooks(undefined, {})).toBeUndefined()
    expect(runHooks([], {})).toBeUndefined()
    const seen: number[] = []
    const hooks = [() => void seen.push(1), async () => 'second', () => 'third']
    await expect(runHooks(hooks, {})).resolves.toBe('second')
    expect(seen).toEqual([1])
    await expect(runHooks([() => {}], {})).resolves.toBeUndefined()
  })
})

describe('beforeRequest', () => {
  it('runs before every attempt, in order, awaiting async hooks, and its headers are sent', async () => {
    useFakeClock()
    const fetch = fetchStub(busy(), json(generated))
    const seen: string[] = []
    const hooks: Hooks = {
      beforeRequest: [
        async ({ request, attempt }) => {
          await Promise.resolve()
          seen.push(`first ${attempt}`)
          request.headers.set('traceparent', `00-trace-span${attempt}-01`)
        },
        ({ attempt }) => {
          seen.push(`second ${attempt}`)
        },
      ],
    }
    const pending = createClient({ baseUrl, fetch, hooks }).generate({ prompt: 'x' })
    await vi.runAllTimersAsync()
    await pending
    expect(seen).toEqual(['first 1', 'second 1', 'first 2', 'second 2'])
    expect(fetch.calls.map((call) => call.headers.get('traceparent'))).toEqual([
      '00-trace-span1-01',
      '00-trace-span2-01',
    ])
  })

  it('never sees the API key, on any attempt, while it is still sent', async () => {
    useFakeClock()
    const fetch = fetchStub(busy(), json(generated))
    const logged: string[] = []
    const log = ({ request }: HookState) =>
      request.headers.forEach((value, name) => {
        logged.push(`${name}: ${value}`)
      })
    const hooks: Hooks = { beforeRequest: [log], afterResponse: [log], beforeRetry: [log] }
    const pending = createClient({ baseUrl, fetch, apiKey: 'sk-secret', hooks }).generate({ prompt: 'x' })
    await vi.runAllTimersAsync()
    await pending
    expect(logged.filter((line) => line.startsWith('x-request-id: '))).toHaveLength(5)
    expect(logged.join('\n')).not.toContain('sk-secret')
    expect(fetch.calls.map((call) => call.headers.get('authorization'))).toEqual([
      'Bearer sk-secret',
      'Bearer sk-secret',
    ])
  })

  it('overrides the API key when it sets authorization', async () => {
    const fetch = fetchStub(json(generated))
    const hooks: Hooks = { beforeRequest: [({ request }) => request.headers.set('authorization', 'Bearer fresh')] }
    await createClient({ baseUrl, fetch, apiKey: 'sk-old', hooks }).generate({ prompt: 'x' })
    expect(fetch.calls[0]?.headers.get('authorization')).toBe('Bearer fresh')
  })

  it('answers without fetch when it returns a Response; later beforeRequest hooks are skipped', async () => {
    const fetch = fetchStub(json(generated))
    const later = vi.fn()
    const statuses: number[] = []
    const hooks: Hooks = {
      beforeRequest: [() => json({ ...generated, seed: 7 }, 200, { 'x-request-id': 'cached' }), later],
      afterResponse: [({ response }) => void statuses.push(response.status)],
    }
    const result = await createClient({ baseUrl, fetch, hooks }).generate({ prompt: 'x' })
    expect(result).toMatchObject({ seed: 7, requestId: 'cached' })
    expect(fetch.calls).toHaveLength(0)
    expect(later).not.toHaveBeenCalled()
    expect(statuses).toEqual([200])
  })
})

describe('afterResponse', () => {
  it('sees every response with its attempt, status and duration', async () => {
    useFakeClock()
    const fetch = fetchStub(busy(), json(generated))
    const log: unknown[] = []
    const hooks: Hooks = {
      afterResponse: [
        ({ request, response, attempt, duration }) =>
          void log.push({ line: `${request.method} ${request.url} ${response.status}`, attempt, duration }),
      ],
    }
    const pending = createClient({ baseUrl, fetch, hooks }).generate({ prompt: 'x' })
    await vi.runAllTimersAsync()
    await pending
    expect(log).toEqual([
      { line: 'POST http://api.test/generate 503', attempt: 1, duration: expect.any(Number) },
      { line: 'POST http://api.test/generate 200', attempt: 2, duration: expect.any(Number) },
    ])
  })

  it('replaces the response with the one it returns', async () => {
    const fetch = fetchStub(json({ detail: 'gone' }, 500))
    const hooks: Hooks = { afterResponse: [() => json({ ...generated, seed: 1 })] }
    const result = await createClient({ baseUrl, fetch, hooks }).generate({ prompt: 'x' })
    expect(result.seed).toBe(1)
    expect(fetch.calls).toHaveLength(1)
  })

  it("refreshes a credential on 401 and retries once with 'retry': same Idempotency-Key and x-request-id", async () => {
    let token = 'expired'
    const fetch = fetchStub((_url, init) =>
      new Headers(init.headers).get('authorization') === 'Bearer fresh' ? json(generated) : unauthorized(),
    )
    const retries: unknown[] = []
    const hooks: Hooks = {
      beforeRequest: [({ request }) => request.headers.set('authorization', `Bearer ${token}`)],
      afterResponse: [
        async ({ response, attempt }) => {
          if (response.status !== 401 || attempt > 1) return
          token = await Promise.resolve('fresh')
          return 'retry'
        },
      ],
      beforeRetry: [({ attempt, error, delay }) => void retries.push({ attempt, error: error.name, delay })],
    }
    const result = await createClient({ baseUrl, fetch, hooks }).generate({ prompt: 'x' })
    expect(result.seed).toBe(42)
    expect(fetch.calls.map((call) => call.headers.get('authorization'))).toEqual(['Bearer expired', 'Bearer fresh'])
    const [first, second] = fetch.calls
    expect(second?.headers.get('idempotency-key')).toBe(first?.headers.get('idempotency-key'))
    expect(second?.headers.get('x-request-id')).toBe(first?.headers.get('x-request-id'))
    expect(retries).toEqual([{ attempt: 2, error: 'AuthenticationError', delay: 0 }])
  })

  it("throws the 401 when the refreshed credential is refused too, after one 'retry'", async () => {
    const fetch = fetchStub(unauthorized())
    const hooks: Hooks = {
      afterResponse: [({ response, attempt }) => (response.status === 401 && attempt === 1 ? 'retry' : undefined)],
    }
    await expect(createClient({ baseUrl, fetch, hooks }).generate({ prompt: 'x' })).rejects.toBeInstanceOf(
      AuthenticationError,
    )
    expect(fetch.calls).toHaveLength(2)
  })

  it("does not retry on 'retry' when retries are off, or for a POST sent without an Idempotency-Key", async () => {
    const hooks: Hooks = { afterResponse: [() => 'retry'] }
    const fetch = fetchStub(unauthorized())
    await expect(
      createClient({ baseUrl, fetch, hooks, retry: false }).generate({ prompt: 'x' }),
    ).rejects.toBeInstanceOf(AuthenticationError)
    await expect(
      createClient({ baseUrl, fetch, hooks }).generate({ prompt: 'x' }, { idempotencyKey: false }),
    ).rejects.toBeInstanceOf(AuthenticationError)
    expect(fetch.calls).toHaveLength(2)
  })

  it("stops at retry.limit when a hook keeps returning 'retry'", async () => {
    const fetch = fetchStub(json(generated))
    const hooks: Hooks = { afterResponse: [() => 'retry'] }
    const client = createClient({ baseUrl, fetch, hooks, retry: { limit: 3 } })
    const error = await client.queue.status('abc').catch((e) => e)
    expect(error).toBeInstanceOf(GenimageError)
    expect(error.status).toBe(200)
    expect(fetch.calls).toHaveLength(4)
  })
})

describe('beforeRetry', () => {
  it('sees each retry: the attempt about to start, the error and the wait', async () => {
    useFakeClock()
    const fetch = fetchStub(busy(), busy(), json(generated))
    const retries: unknown[] = []
    const hooks: Hooks = {
      beforeRetry: [({ attempt, error, delay }) => void retries.push({ attempt, error: error.constructor, delay })],
    }
    const client = createClient({ baseUrl, fetch, hooks, retry: { baseDelay: 100, jitter: 0 } })
    const pending = client.generate({ prompt: 'x' })
    await vi.runAllTimersAsync()
    await pending
    expect(retries).toEqual([
      { attempt: 2, error: ServiceUnavailableError, delay: 100 },
      { attempt: 3, error: ServiceUnavailableError, delay: 200 },
    ])
  })

  it('stops the call with what it throws', async () => {
    const fetch = fetchStub(busy(), json(generated))
    const stop = new Error('no retries today')
    const hooks: Hooks = {
      beforeRetry: [
        () => {
          throw stop
        },
      ],
    }
    await expect(createClient({ baseUrl, fetch, hooks }).generate({ prompt: 'x' })).rejects.toBe(stop)
    expect(fetch.calls).toHaveLength(1)
  })
})

describe('beforeError', () => {
  it('sees the final error once and may replace it', async () => {
    const fetch = fetchStub(unauthorized())
    const seen: unknown[] = []
    const hooks: Hooks = {
      beforeError: [
        ({ error, attempt }) => {
          seen.push({ error: error.name, attempt })
          return error instanceof AuthenticationError ? new Error('Sign in again', { cause: error }) : error
        },
      ],
    }
    const error = await createClient({ baseUrl, fetch, hooks })
      .generate({ prompt: 'x' })
      .catch((e) => e)
    expect(error.message).toBe('Sign in again')
    expect(error.cause).toBeInstanceOf(AuthenticationError)
    expect(seen).toEqual([{ error: 'AuthenticationError', attempt: 1 }])
  })

  it('keeps the error when it returns nothing, and sees time limits too', async () => {
    useFakeClock()
    const seen = vi.fn()
    const client = createClient({ baseUrl, fetch: fetchStub(hang), timeout: 500, hooks: { beforeError: [seen] } })
    const settled = client.generate({ prompt: 'x' }).catch((e) => e)
    await vi.advanceTimersByTimeAsync(500)
    const error = await settled
    expect(error).toBeInstanceOf(TimeoutError)
    expect(seen).toHaveBeenCalledOnce()
    expect(seen.mock.calls[0]?.[0].error).toBe(error)
  })
})

describe('errors thrown by hooks', () => {
  it.each(['beforeRequest', 'afterResponse'] as const)(
    'reject the call as they are from %s: not wrapped, not retried, not passed to beforeError',
    async (name) => {
      const fetch = fetchStub(json(generated))
      const thrown = new Error(`${name} failed`)
      const beforeError = vi.fn()
      const hooks: Hooks = {
        [name]: [
          () => {
            throw thrown
          },
        ],
        beforeError: [beforeError],
      }
      await expect(createClient({ baseUrl, fetch, hooks }).generate({ prompt: 'x' })).rejects.toBe(thrown)
      expect(fetch.calls).toHaveLength(name === 'beforeRequest' ? 0 : 1)
      expect(beforeError).not.toHaveBeenCalled()
    },
  )
})

describe('subscribe', () => {
  const id = 'job-1'
  const jobUrl = `${baseUrl}/queue/requests/${id}`
  const submitted = { request_id: id, status: 'IN_QUEUE', status_url: `${jobUrl}/status`, response_url: jobUrl }
  const completed = { status: 'COMPLETED', request_id: id, response_url: jobUrl, logs: [], outcome: 'succeeded' }
  const server = () =>
    fetchStub((url) => {
      if (url.endsWith('/queue/generate')) return json(submitted, 202)
      if (url.endsWith('/status/stream')) return eventStream([`event: status\ndata: ${JSON.stringify(completed)}\n\n`])
      if (url.endsWith('/status')) return json(completed)
      return json(generated)
    })
  const tracing = (seen: string[]): Hooks => ({
    beforeRequest: [
      ({ request }) => {
        seen.push(`${request.method} ${request.url.replace(baseUrl, '')} ${request.headers.get('accept')}`)
        request.headers.set('x-trace-id', 'trace-1')
      },
    ],
  })

  it('sends the status stream through the hooks', async () => {
    const fetch = server()
    const seen: string[] = []
    await createClient({ baseUrl, fetch, hooks: tracing(seen) }).subscribe({ prompt: 'x' })
    expect(seen).toEqual([
      'POST /queue/generate application/json',
      `GET /queue/requests/${id}/status/stream text/event-stream`,
      `GET /queue/requests/${id} application/json`,
    ])
    expect(fetch.calls.map((call) => call.headers.get('x-trace-id'))).toEqual(['trace-1', 'trace-1', 'trace-1'])
  })

  it('sends the polls through the hooks', async () => {
    const fetch = server()
    const seen: string[] = []
    await createClient({ baseUrl, fetch, hooks: tracing(seen) }).subscribe({ prompt: 'x' }, { mode: 'poll' })
    expect(seen).toEqual([
      'POST /queue/generate application/json',
      `GET /queue/requests/${id}/status application/json`,
      `GET /queue/requests/${id} application/json`,
    ])
  })

  it('rejects with what a hook threw on the stream, instead of falling back to polling', async () => {
    const fetch = server()
    const thrown = new Error('tracer down')
    const hooks: Hooks = {
      beforeRequest: [
        ({ request }) => {
          if (request.url.endsWith('/stream')) throw thrown
        },
      ],
    }
    await expect(createClient({ baseUrl, fetch, hooks }).subscribe({ prompt: 'x' })).rejects.toBe(thrown)
    expect(fetch.calls.map((call) => call.url.replace(baseUrl, ''))).toEqual(['/queue/generate'])
  })
})

describe('the hooks option', () => {
  it('is checked at createClient', () => {
    const hooks = { beforeRequest: 'log' } as unknown as Hooks
    expect(() => createClient({ baseUrl, hooks })).toThrow(
      "genimage: `hooks.beforeRequest` must be an array of functions; got 'log'",
    )
  })
})

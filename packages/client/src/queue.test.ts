import { afterEach, describe, expect, it, vi } from 'vitest'
import { createClient } from './client.js'
import { BadRequestError } from './errors/bad-request-error.js'
import { GenerationFailedError } from './errors/generation-failed-error.js'
import { NotFoundError } from './errors/not-found-error.js'
import { fetchStub, generated, json, useFakeClock } from './test-helpers.js'

const baseUrl = 'http://api.test'
const submitted = {
  request_id: 'job-1',
  status: 'IN_QUEUE',
  queue_position: 0,
  status_url: `${baseUrl}/queue/requests/job-1/status`,
  response_url: `${baseUrl}/queue/requests/job-1`,
  cancel_url: `${baseUrl}/queue/requests/job-1/cancel`,
}

afterEach(() => {
  vi.useRealTimers()
})

describe('queue', () => {
  it('submit posts to /queue/generate with an idempotency key and resolves with the request id', async () => {
    const fetch = fetchStub(json(submitted, 202, { 'x-request-id': 'http-1' }))
    const result = await createClient({ baseUrl, fetch }).queue.submit({ prompt: 'a fox' })
    expect(result).toEqual({ ...submitted, requestId: 'http-1' })
    expect(fetch.calls[0]).toMatchObject({
      url: `${baseUrl}/queue/generate`,
      method: 'POST',
      body: { prompt: 'a fox' },
    })
    expect(fetch.calls[0]?.headers.get('idempotency-key')).toBeTruthy()
  })

  it('submit sends webhookUrl as the body webhook_url', async () => {
    const fetch = fetchStub(json(submitted, 202))
    await createClient({ baseUrl, fetch }).queue.submit({ prompt: 'a fox' }, { webhookUrl: 'https://example.com/hook' })
    expect(fetch.calls[0]?.body).toEqual({ prompt: 'a fox', webhook_url: 'https://example.com/hook' })
  })

  it('status escapes the id and asks for logs when told', async () => {
    const status = { status: 'IN_QUEUE', request_id: 'a/b', queue_position: 3, response_url: 'x' }
    const fetch = fetchStub(json(status))
    const client = createClient({ baseUrl, fetch })
    await expect(client.queue.status('a/b')).resolves.toMatchObject({ queue_position: 3 })
    await client.queue.status('a/b', { logs: true })
    expect(fetch.calls.map((call) => call.url)).toEqual([
      `${baseUrl}/queue/requests/a%2Fb/status`,
      `${baseUrl}/queue/requests/a%2Fb/status?logs=1`,
    ])
    expect(fetch.calls[0]?.method).toBe('GET')
    expect(fetch.calls[0]?.headers.has('idempotency-key')).toBe(false)
  })

  it('result resolves with the image', async () => {
    const fetch = fetchStub(json(generated, 200, { 'x-request-id': 'http-2' }))
    const result = await createClient({ baseUrl, fetch }).queue.result('job-1')
    expect(result).toEqual({ ...generated, requestId: 'http-2' })
    expect(fetch.calls[0]?.url).toBe(`${baseUrl}/queue/requests/job-1`)
  })

  it('result does not retry a generation that failed (502 is final there)', async () => {
    const fetch = fetchStub(json({ detail: 'Generation failed: CUDA out of memory' }, 502), json(generated))
    await expect(createClient({ baseUrl, fetch }).queue.result('job-1')).rejects.toBeInstanceOf(GenerationFailedError)
    expect(fetch.calls).toHaveLength(1)
  })

  it('result retries a 503', async () => {
    useFakeClock()
    const fetch = fetchStub(json({ detail: 'restarting' }, 503, { 'retry-after': '1' }), json(generated))
    const pending = createClient({ baseUrl, fetch }).queue.result('job-1')
    await vi.runAllTimersAsync()
    await expect(pending).resolves.toMatchObject({ seed: 42 })
    expect(fetch.calls).toHaveLength(2)
  })

  it('result of an unfinished request is a BadRequestError with the detail', async () => {
    const fetch = fetchStub(json({ detail: 'Request is still in progress' }, 400))
    const error = await createClient({ baseUrl, fetch })
      .queue.result('job-1')
      .catch((e) => e)
    expect(error).toBeInstanceOf(BadRequestError)
    expect(error.detail).toBe('Request is still in progress')
  })

  it('cancel answers CANCELLATION_REQUESTED, or ALREADY_COMPLETED from a 400', async () => {
    const fetch = fetchStub(
      json({ status: 'CANCELLATION_REQUESTED' }, 202),
      json({ status: 'ALREADY_COMPLETED' }, 400, { 'x-request-id': 'http-3' }),
    )
    const client = createClient({ baseUrl, fetch })
    await expect(client.queue.cancel('job-1')).resolves.toMatchObject({ status: 'CANCELLATION_REQUESTED' })
    await expect(client.queue.cancel('job-1')).resolves.toEqual({ status: 'ALREADY_COMPLETED', requestId: 'http-3' })
    expect(fetch.calls[0]).toMatchObject({ url: `${baseUrl}/queue/requests/job-1/cancel`, method: 'PUT' })
  })

  it('cancel of an unknown id is a NotFoundError; another 400 is a BadRequestError', async () => {
    const fetch = fetchStub(json({ status: 'NOT_FOUND' }, 404), json({ detail: 'Malformed' }, 400))
    const client = createClient({ baseUrl, fetch })
    await expect(client.queue.cancel('nope')).rejects.toBeInstanceOf(NotFoundError)
    await expect(client.queue.cancel('nope')).rejects.toBeInstanceOf(BadRequestError)
  })

  it('rejects an empty request id without calling the server', async () => {
    const fetch = fetchStub(json(generated))
    await expect(createClient({ baseUrl, fetch }).queue.result('')).rejects.toThrow(
      "`requestId` must be the non-empty request_id from submit; got ''",
    )
    expect(fetch.calls).toHaveLength(0)
  })
})

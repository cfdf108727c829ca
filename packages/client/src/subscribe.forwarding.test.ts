// What subscribe() passes on and which events it reads: cases that mutation testing (bench/mutation) found unpinned.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createClient } from './client.js'
import { TimeoutError } from './errors/timeout-error.js'
import { eventStream, fetchStub, generated, json, useFakeClock } from './test-helpers.js'

const baseUrl = 'http://api.test'
const id = 'job-7'
const jobUrl = `${baseUrl}/queue/requests/${id}`
const submitted = {
  request_id: id,
  status: 'IN_QUEUE',
  queue_position: 0,
  status_url: `${jobUrl}/status`,
  response_url: jobUrl,
  cancel_url: `${jobUrl}/cancel`,
}
const inQueue = { status: 'IN_QUEUE', request_id: id, queue_position: 0, response_url: jobUrl }
const completed = { status: 'COMPLETED', request_id: id, response_url: jobUrl, logs: [], outcome: 'succeeded' }

/** A fake server whose status stream is `stream` (404 when absent) and whose status route answers `status`. */
function server(stream?: () => Response, status: object = completed) {
  return fetchStub((url) => {
    if (url.endsWith('/queue/generate')) return json(submitted, 202)
    if (url.endsWith('/status/stream')) return stream ? stream() : json({ detail: 'no' }, 404)
    if (url.endsWith('/status')) return json(status)
    if (url.endsWith('/cancel')) return json({ status: 'CANCELLATION_REQUESTED' }, 202)
    return json(generated)
  })
}
const paths = (fetch: ReturnType<typeof fetchStub>) => fetch.calls.map((call) => call.url.replace(baseUrl, ''))

afterEach(() => {
  vi.useRealTimers()
})

describe('subscribe passes the caller’s headers and Idempotency-Key on', () => {
  it('sends the headers on every call and the Idempotency-Key on the submit', async () => {
    for (const mode of ['stream', 'poll'] as const) {
      const fetch = server()
      await createClient({ baseUrl, fetch }).subscribe(
        { prompt: 'x' },
        { mode, headers: { 'x-tenant': 't1' }, idempotencyKey: 'retry-1' },
      )
      expect(fetch.calls.map((call) => call.headers.get('x-tenant'))).toEqual(fetch.calls.map(() => 't1'))
      expect(fetch.calls[0]?.headers.get('idempotency-key')).toBe('retry-1')
    }
  })

  it('sends the headers on the cancel that a timeout triggers, and names the request in the error', async () => {
    useFakeClock()
    const fetch = server(undefined, inQueue)
    const settled = createClient({ baseUrl, fetch })
      .subscribe({ prompt: 'x' }, { mode: 'poll', timeout: 500, headers: { 'x-tenant': 't2' } })
      .catch((error: unknown) => error)
    await vi.advanceTimersByTimeAsync(500)
    const error = await settled
    expect(error).toBeInstanceOf(TimeoutError)
    expect((error as Error).message).toBe(`subscribe ${id} timed out after 500 ms (total, including retries)`)
    await vi.waitFor(() => expect(paths(fetch)).toContain(`/queue/requests/${id}/cancel`))
    expect(fetch.calls.find((call) => call.url.endsWith('/cancel'))?.headers.get('x-tenant')).toBe('t2')
  })
})

describe('subscribe reads the status stream', () => {
  it('takes events without an event name (type "message") as statuses', async () => {
    const fetch = server(() =>
      eventStream([`data: ${JSON.stringify(inQueue)}\n\n`, `data: ${JSON.stringify(completed)}\n\n`]),
    )
    const updates: string[] = []
    await createClient({ baseUrl, fetch }).subscribe({ prompt: 'x' }, { onQueueUpdate: (s) => updates.push(s.status) })
    expect(updates).toEqual(['IN_QUEUE', 'COMPLETED'])
    expect(paths(fetch)).not.toContain(`/queue/requests/${id}/status`)
  })

  it('skips events of other names', async () => {
    const fetch = server(() =>
      eventStream([
        `event: log\ndata: {"status":"COMPLETED"}\n\n`,
        `event: status\ndata: ${JSON.stringify(completed)}\n\n`,
      ]),
    )
    const updates: object[] = []
    await createClient({ baseUrl, fetch }).subscribe({ prompt: 'x' }, { onQueueUpdate: (s) => updates.push(s) })
    expect(updates).toEqual([completed])
  })

  it('stops reading at COMPLETED even when the stream stays open', async () => {
    const fetch = server(() => eventStream([`event: status\ndata: ${JSON.stringify(completed)}\n\n`], () => {}))
    await expect(createClient({ baseUrl, fetch }).subscribe({ prompt: 'x' })).resolves.toMatchObject({ seed: 42 })
  })
})

describe('subscribe by polling', () => {
  it('asks for the first status at once, without waiting pollInterval', async () => {
    useFakeClock()
    const fetch = server()
    const pending = createClient({ baseUrl, fetch }).subscribe({ prompt: 'x' }, { mode: 'poll', pollInterval: 5000 })
    await vi.advanceTimersByTimeAsync(0)
    await pending
    const [submit, poll] = fetch.calls
    expect(poll?.at).toBe(submit?.at)
  })
})

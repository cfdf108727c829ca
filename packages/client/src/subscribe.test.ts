import { afterEach, describe, expect, it, vi } from 'vitest'
import { createClient } from './client.js'
import { GenerationFailedError } from './errors/generation-failed-error.js'
import { TimeoutError } from './errors/timeout-error.js'
import { UserAbortError } from './errors/user-abort-error.js'
import { eventStream, fetchStub, generated, hang, json, useFakeClock } from './test-helpers.js'
import type { QueueStatus } from './types.js'

const baseUrl = 'http://api.test'
const id = 'job-1'
const jobUrl = `${baseUrl}/queue/requests/${id}`
const submitted = {
  request_id: id,
  status: 'IN_QUEUE',
  queue_position: 1,
  status_url: `${jobUrl}/status`,
  response_url: jobUrl,
  cancel_url: `${jobUrl}/cancel`,
}
const inQueue = { status: 'IN_QUEUE', request_id: id, queue_position: 1, response_url: jobUrl }
const running = (step: number) => ({
  status: 'IN_PROGRESS',
  request_id: id,
  response_url: jobUrl,
  progress: { step, total_steps: 2 },
  logs: [],
})
const completed = { status: 'COMPLETED', request_id: id, response_url: jobUrl, logs: [], outcome: 'succeeded' }
const sse = (status: object) => `event: status\ndata: ${JSON.stringify(status)}\n\n`

type Route = (url: string, init: RequestInit) => Response | Promise<Response>

/** A fake server: submit, then `stream` / `status` / `result` / `cancel` answered by the given routes. */
function server(routes: { stream?: Route; status?: Route; result?: Route }) {
  return fetchStub((url, init) => {
    if (url.endsWith('/queue/generate')) return json(submitted, 202)
    if (url.endsWith('/status/stream')) return routes.stream ? routes.stream(url, init) : json({ detail: 'no' }, 404)
    if (url.endsWith('/status')) return routes.status ? routes.status(url, init) : json(completed)
    if (url.endsWith('/cancel')) return json({ status: 'CANCELLATION_REQUESTED' }, 202)
    return routes.result ? routes.result(url, init) : json(generated, 200, { 'x-request-id': 'result-1' })
  })
}
const paths = (fetch: ReturnType<typeof fetchStub>) => fetch.calls.map((call) => call.url.replace(baseUrl, ''))

afterEach(() => {
  vi.useRealTimers()
})

describe('subscribe over the status stream', () => {
  it('reports every status and progress, then resolves with the result, without polling', async () => {
    const fetch = server({
      stream: () => eventStream([sse(inQueue), ': ping\n\n', sse(running(1)), sse(running(2)), sse(completed)]),
    })
    const updates: string[] = []
    const progress: number[] = []
    const onEnqueue = vi.fn()
    const result = await createClient({ baseUrl, fetch }).subscribe(
      { prompt: 'a fox' },
      {
        onEnqueue,
        onQueueUpdate: (status) => updates.push(status.status),
        onProgress: ({ step }) => progress.push(step),
      },
    )
    expect(result).toEqual({ ...generated, requestId: 'result-1' })
    expect(onEnqueue).toHaveBeenCalledWith(id)
    expect(updates).toEqual(['IN_QUEUE', 'IN_PROGRESS', 'IN_PROGRESS', 'COMPLETED'])
    expect(progress).toEqual([1, 2])
    expect(paths(fetch)).toEqual(['/queue/generate', `/queue/requests/${id}/status/stream`, `/queue/requests/${id}`])
    expect(fetch.calls[1]?.headers.get('accept')).toBe('text/event-stream')
  })

  it('falls back to polling when the stream answers 404', async () => {
    const fetch = server({})
    const updates: QueueStatus[] = []
    await createClient({ baseUrl, fetch }).subscribe({ prompt: 'x' }, { onQueueUpdate: (s) => updates.push(s) })
    expect(paths(fetch)).toEqual([
      '/queue/generate',
      `/queue/requests/${id}/status/stream`,
      `/queue/requests/${id}/status`,
      `/queue/requests/${id}`,
    ])
    expect(updates.map((status) => status.status)).toEqual(['COMPLETED'])
  })

  it('falls back to polling when the runtime gives no streaming body', async () => {
    const fetch = server({ stream: () => new Response(null, { status: 200 }) })
    await createClient({ baseUrl, fetch }).subscribe({ prompt: 'x' })
    expect(paths(fetch)).toContain(`/queue/requests/${id}/status`)
  })

  it('goes on polling when the stream breaks or ends before COMPLETED', async () => {
    for (const stream of [
      () => eventStream([sse(inQueue)], new TypeError('terminated')),
      () => eventStream([sse(inQueue)]),
      () => eventStream(['event: status\ndata: {not json\n\n']),
    ]) {
      const fetch = server({ stream })
      const updates: string[] = []
      await createClient({ baseUrl, fetch }).subscribe(
        { prompt: 'x' },
        { pollInterval: 0, onQueueUpdate: (s) => updates.push(s.status) },
      )
      expect(updates.at(-1)).toBe('COMPLETED')
      expect(paths(fetch)).toContain(`/queue/requests/${id}/status`)
    }
  })

  it('falls back to polling when the stream answers nothing, or goes silent, for the attempt limit', async () => {
    useFakeClock()
    for (const stream of [hang, () => eventStream([sse(inQueue)], () => {})]) {
      const fetch = server({ stream })
      const client = createClient({ baseUrl, fetch, timeout: { attempt: 1000 } })
      const pending = client.subscribe({ prompt: 'x' })
      await vi.advanceTimersByTimeAsync(999)
      expect(paths(fetch)).not.toContain(`/queue/requests/${id}/status`)
      await vi.advanceTimersByTimeAsync(1)
      await vi.runAllTimersAsync()
      await expect(pending).resolves.toMatchObject({ seed: 42 })
      expect(paths(fetch)).toContain(`/queue/requests/${id}/status`)
    }
  })

  it('does not swallow an error thrown by a callback', async () => {
    const fetch = server({ stream: () => eventStream([sse(inQueue), sse(completed)]) })
    const boom = new Error('callback bug')
    const subscription = createClient({ baseUrl, fetch }).subscribe(
      { prompt: 'x' },
      {
        onQueueUpdate: () => {
          throw boom
        },
      },
    )
    await expect(subscription).rejects.toBe(boom)
  })
})

describe('subscribe releases the stream', () => {
  it('by aborting its request before cancelling its body (happy-dom throws if its body is only cancelled)', async () => {
    let signal: AbortSignal | null | undefined
    let abortedWhenCancelled: boolean | undefined
    const encoder = new TextEncoder()
    // A stream still open after COMPLETED: the client, not the server, ends it.
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(encoder.encode(sse(running(1)) + sse(completed)))
      },
      cancel() {
        abortedWhenCancelled = signal?.aborted
      },
    })
    const fetch = server({
      stream: (_url, init) => {
        signal = init.signal
        return new Response(body, { headers: { 'content-type': 'text/event-stream' } })
      },
    })
    await createClient({ baseUrl, fetch }).subscribe({ prompt: 'x' })
    expect(abortedWhenCancelled).toBe(true)
  })
})

describe('subscribe by polling', () => {
  it('polls every pollInterval ms until COMPLETED, and never opens the stream', async () => {
    useFakeClock()
    const statuses = [inQueue, running(1), completed]
    const fetch = server({ status: () => json(statuses.shift()) })
    const pending = createClient({ baseUrl, fetch }).subscribe({ prompt: 'x' }, { mode: 'poll', pollInterval: 400 })
    await vi.runAllTimersAsync()
    await pending
    const polls = fetch.calls.filter((call) => call.url.endsWith('/status'))
    expect(polls.map((call) => call.at - polls[0]!.at)).toEqual([0, 400, 800])
    expect(paths(fetch)).not.toContain(`/queue/requests/${id}/status/stream`)
  })

  it("takes fal's mode names: 'polling' only polls, 'streaming' reads the stream", async () => {
    const polling = server({})
    await createClient({ baseUrl, fetch: polling }).subscribe({ prompt: 'x' }, { mode: 'polling' })
    expect(paths(polling)).toEqual(['/queue/generate', `/queue/requests/${id}/status`, `/queue/requests/${id}`])
    const streaming = server({ stream: () => eventStream([sse(running(1)), sse(completed)]) })
    const steps: number[] = []
    await createClient({ baseUrl, fetch: streaming }).subscribe(
      { prompt: 'x' },
      { mode: 'streaming', onProgress: (progress) => steps.push(progress.step) },
    )
    expect(paths(streaming)).toEqual([
      '/queue/generate',
      `/queue/requests/${id}/status/stream`,
      `/queue/requests/${id}`,
    ])
    expect(steps).toEqual([1])
  })

  it('rejects with the error the generation ended with', async () => {
    const fetch = server({ result: () => json({ detail: 'Generation failed: node 13' }, 502) })
    await expect(createClient({ baseUrl, fetch }).subscribe({ prompt: 'x' }, { mode: 'poll' })).rejects.toBeInstanceOf(
      GenerationFailedError,
    )
  })

  it('checks its options', async () => {
    const client = createClient({ baseUrl, fetch: server({}) })
    await expect(client.subscribe({ prompt: 'x' }, { mode: 'ws' as 'poll' })).rejects.toThrow(
      "`mode` must be 'stream' or 'poll'; got 'ws'",
    )
    await expect(client.subscribe({ prompt: 'x' }, { pollInterval: -1 })).rejects.toThrow('`pollInterval` must be')
    await expect(client.subscribe({ prompt: 'x' }, { timeout: -1 })).rejects.toThrow('`timeout` must be a number of')
  })
})

describe('cancelling a subscription', () => {
  it('cancels the remote request and rejects with UserAbortError when the caller aborts', async () => {
    const controller = new AbortController()
    const reason = new Error('closed the dialog')
    const fetch = server({
      stream: () => eventStream([sse(inQueue), sse(running(1))], () => controller.abort(reason)),
    })
    const error = await createClient({ baseUrl, fetch })
      .subscribe({ prompt: 'x' }, { signal: controller.signal })
      .catch((e) => e)
    expect(error).toBeInstanceOf(UserAbortError)
    expect(error.cause).toBe(reason)
    await vi.waitFor(() => expect(paths(fetch)).toContain(`/queue/requests/${id}/cancel`))
    expect(fetch.calls.find((call) => call.url.endsWith('/cancel'))?.method).toBe('PUT')
    expect(paths(fetch)).not.toContain(`/queue/requests/${id}`)
  })

  it('cancels the remote request and rejects with TimeoutError when its time runs out', async () => {
    useFakeClock()
    const fetch = server({ status: () => json(inQueue) })
    const settled = createClient({ baseUrl, fetch })
      .subscribe({ prompt: 'x' }, { mode: 'poll', timeout: 1000 })
      .catch((e) => e)
    await vi.advanceTimersByTimeAsync(1000)
    const error = await settled
    expect(error).toBeInstanceOf(TimeoutError)
    expect(error).toMatchObject({ kind: 'total', timeout: 1000 })
    await vi.waitFor(() => expect(paths(fetch)).toContain(`/queue/requests/${id}/cancel`))
  })

  it('does not cancel anything when aborted before the submit answered', async () => {
    const controller = new AbortController()
    controller.abort()
    const fetch = server({})
    await expect(
      createClient({ baseUrl, fetch }).subscribe({ prompt: 'x' }, { signal: controller.signal }),
    ).rejects.toBeInstanceOf(UserAbortError)
    expect(fetch.calls).toHaveLength(0)
  })
})

describe('subscribe aborted while the submit is in flight', () => {
  it('rejects at once and cancels the job once the late submit answer names it', async () => {
    let answerSubmit = () => {}
    const submitAnswered = new Promise<void>((resolve) => {
      answerSubmit = resolve
    })
    const fetch = fetchStub(async (url) => {
      if (url.endsWith('/queue/generate')) {
        await submitAnswered
        return json(submitted, 202)
      }
      if (url.endsWith('/cancel')) return json({ status: 'CANCELLATION_REQUESTED' }, 202)
      return json({ detail: 'unexpected' }, 500)
    })
    const controller = new AbortController()
    const subscribing = createClient({ baseUrl, fetch }).subscribe({ prompt: 'a fox' }, { signal: controller.signal })
    controller.abort(new Error('changed my mind'))
    await expect(subscribing).rejects.toBeInstanceOf(UserAbortError)
    answerSubmit()
    await vi.waitFor(() => expect(paths(fetch)).toContain(`/queue/requests/${id}/cancel`))
  })
})

import {
  ConnectionError,
  createClient,
  GenerationFailedError,
  NotFoundError,
  RateLimitError,
  TimeoutError,
  UserAbortError,
  ValidationError,
} from '@genimage/client'
import { setupGenimageServer } from '@genimage/mocks/node'
import sharp from 'sharp'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'

const baseUrl = 'https://api.genimage.test'
const { server, genimage } = setupGenimageServer({ baseUrl, mode: 'manual' })
const client = createClient({ baseUrl, retry: { baseDelay: 1, maxDelay: 5 } })
let requests: string[] = []

beforeAll(() => {
  server.listen({ onUnhandledFrame: 'error' })
  server.events.on('request:start', ({ request }) =>
    requests.push(`${request.method} ${new URL(request.url).pathname}`),
  )
})
afterEach(async () => {
  server.resetHandlers()
  await genimage.controls.finish()
  genimage.reset()
  requests = []
})
afterAll(() => server.close())

describe('@genimage/client against @genimage/mocks', () => {
  it('generate() returns an image that decodes at the requested size, with the request id', async () => {
    genimage.controls.resume()
    const result = await client.generate({ prompt: 'a fox', width: 640, height: 384, output_format: 'jpeg' })
    expect(result.requestId).toMatch(/\S/)
    const bytes = await (await fetch(result.image.url)).arrayBuffer()
    const { format, width, height } = await sharp(Buffer.from(bytes)).metadata()
    expect({ format, width, height }).toEqual({ format: 'jpeg', width: 640, height: 384 })
  })

  it('subscribe() reports the queue position, then every step, then resolves with the image', async () => {
    await client.queue.submit({ prompt: 'ahead in the queue' })
    const updates: string[] = []
    const steps: number[] = []
    const subscribed = client.subscribe(
      { prompt: 'a lighthouse', num_inference_steps: 3 },
      {
        onQueueUpdate: (status) => updates.push(status.status),
        onProgress: (progress) => steps.push(progress.step),
      },
    )
    await expect.poll(() => updates[0]).toBe('IN_QUEUE')
    genimage.controls.resume()
    const result = await subscribed
    expect(result.image).toMatchObject({ width: 512, height: 512 })
    expect(updates.at(-1)).toBe('COMPLETED')
    expect(steps.at(-1)).toBe(3)
  })

  it('turns a 422 into a ValidationError naming the field', async () => {
    const error = await client.generate({ prompt: 'p', width: 513 }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ValidationError)
    expect((error as ValidationError).issues[0]).toMatchObject({ loc: ['body', 'width'], type: 'multiple_of' })
    expect((error as Error).message).toContain('width: Input should be a multiple of 8')
  })

  it('retries a 429 after Retry-After with the same Idempotency-Key, then succeeds', async () => {
    const keys: (string | null)[] = []
    server.events.on('request:start', ({ request }) => {
      if (request.method === 'POST') keys.push(request.headers.get('idempotency-key'))
    })
    server.use(...genimage.scenarios.rateLimited({ retryAfter: 0, once: true }))
    const generating = client.generate({ prompt: 'busy' })
    const held = await genimage.controls.waitForHeld()
    expect(held.step).toBe(1)
    await genimage.controls.finish()
    expect((await generating).image.width).toBe(512)
    expect(keys).toHaveLength(2)
    expect(keys[1]).toBe(keys[0])
  })

  it('gives up on a 429 whose Retry-After exceeds the cap, exposing retryAfter', async () => {
    server.use(...genimage.scenarios.rateLimited({ retryAfter: 120 }))
    const error = await client.generate({ prompt: 'busy' }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RateLimitError)
    expect((error as RateLimitError).retryAfter).toBe(120)
    expect(requests.filter((r) => r === 'POST /generate')).toHaveLength(1)
  })

  it('reports a generation that fails after some progress as GenerationFailedError', async () => {
    server.use(...genimage.scenarios.failAfterProgress({ step: 2 }))
    genimage.controls.resume()
    const error = await client
      .subscribe({ prompt: 'doomed', num_inference_steps: 3 }, { idempotencyKey: false })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(GenerationFailedError)
    expect((error as GenerationFailedError).status).toBe(502)
  })

  it('cancels the remote request when the caller aborts a subscription', async () => {
    const controller = new AbortController()
    let enqueued = (_id: string) => {}
    const requestId = new Promise<string>((resolve) => {
      enqueued = resolve
    })
    const subscribed = client.subscribe({ prompt: 'never mind' }, { signal: controller.signal, onEnqueue: enqueued })
    await genimage.controls.waitForHeld()
    const id = await requestId
    controller.abort(new Error('user left the page'))
    const error = await subscribed.catch((e: unknown) => e)
    expect(error).toBeInstanceOf(UserAbortError)
    await expect.poll(async () => (await client.queue.status(id)).status).toBe('COMPLETED')
    expect(await client.queue.status(id)).toMatchObject({ outcome: 'cancelled' })
  })

  it('times out a request stuck in the queue and cancels it', async () => {
    server.use(...genimage.scenarios.stuckInQueue({ position: 2 }))
    let id = ''
    const error = await client
      .subscribe(
        { prompt: 'stuck' },
        {
          timeout: 300,
          pollInterval: 20,
          mode: 'poll',
          onEnqueue: (requestId) => {
            id = requestId
          },
        },
      )
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(TimeoutError)
    expect((error as TimeoutError).kind).toBe('total')
    // The cancel is sent best effort, without holding the caller: under msw 3 its request:start can come after the
    // rejection.
    await vi.waitFor(() => expect(requests).toContain(`PUT /queue/requests/${id}/cancel`))
  })

  it('surfaces an unreachable API as ConnectionError after retrying', async () => {
    server.use(...genimage.scenarios.networkError())
    const error = await client.queue.status('any').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ConnectionError)
    expect(requests.filter((r) => r.startsWith('GET'))).toHaveLength(3)
  })

  it('maps unknown request ids to NotFoundError', async () => {
    await expect(client.queue.result('does-not-exist')).rejects.toBeInstanceOf(NotFoundError)
  })
})

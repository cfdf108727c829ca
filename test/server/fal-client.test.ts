import {
  ApiError,
  createFalClient,
  fal,
  type QueueStatus,
  type RequestMiddleware,
  ValidationError,
} from '@fal-ai/client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decodeImage } from '../contract/images.js'
import { type StartedServer, startServer } from '../contract/server-target.js'

/**
 * The only adaptation an app written against `@fal-ai/client` needs: a request middleware that sends fal's URLs to
 * a genimage server. fal's client calls (for any endpoint id `owner/app`):
 *
 * | fal call                    | fal URL                                                   | genimage route                              |
 * | --------------------------- | --------------------------------------------------------- | ------------------------------------------- |
 * | `fal.run`                   | `POST https://fal.run/owner/app`                          | `POST /generate`                            |
 * | `fal.queue.submit`          | `POST https://queue.fal.run/owner/app`                    | `POST /queue/generate`                      |
 * | `fal.queue.status`          | `GET https://queue.fal.run/owner/app/requests/{id}/status?logs=0` | `GET /queue/requests/{id}/status`  |
 * | `fal.queue.streamStatus`    | `GET …/requests/{id}/status/stream?logs=0` (SSE)          | `GET /queue/requests/{id}/status/stream`    |
 * | `fal.queue.result`          | `GET …/requests/{id}`                                     | `GET /queue/requests/{id}`                  |
 * | `fal.queue.cancel`          | `PUT …/requests/{id}/cancel`                              | `PUT /queue/requests/{id}/cancel`           |
 */
const toGenimage =
  (base: string): RequestMiddleware =>
  async (request) => {
    const url = new URL(request.url)
    if (url.hostname === 'fal.run') return { ...request, url: `${base}/generate${url.search}` }
    if (url.hostname === 'queue.fal.run') {
      const [, tail] = /\/requests\/(.+)$/.exec(url.pathname) ?? []
      const path = tail ? `/queue/requests/${tail}` : '/queue/generate'
      return { ...request, url: `${base}${path}${url.search}` }
    }
    return request
  }

const ENDPOINT = 'genimage/sdxl-turbo'
const API_KEY = 'fal-compat-key'
/** Four sampling steps of 100 ms in the fake ComfyUI: long enough to cancel, short enough for CI. */
const SLOW = { width: 1024, height: 1024, num_inference_steps: 4 }

let server: StartedServer
/** Every URL fal's client fetched, to show that nothing went anywhere but the genimage server. */
const fetched: string[] = []

beforeAll(async () => {
  server = await startServer({
    backend: 'fake-comfyui',
    env: { API_KEYS: API_KEY, COMFYUI_ARGS: '--step-ms 100' },
  })
  fal.config({
    credentials: API_KEY,
    requestMiddleware: toGenimage(server.url),
    fetch: (input, init) => {
      fetched.push(`${init?.method ?? 'GET'} ${String(input)}`)
      return globalThis.fetch(input, init)
    },
  })
}, 60_000)

afterAll(async () => {
  await server?.close()
})

const fetchImage = async (url: string) => {
  const response = await fetch(url)
  expect(response.status).toBe(200)
  return decodeImage(new Uint8Array(await response.arrayBuffer()))
}

describe('@fal-ai/client against the genimage server (fake ComfyUI), with only a URL-rewriting middleware', () => {
  it('fal.run returns the image, which its URL serves', async () => {
    const result = await fal.run(ENDPOINT, {
      input: { prompt: 'a lighthouse in fog', width: 768, height: 512, seed: 42 },
    })
    expect(result.requestId).toMatch(/\S/)
    expect(result.data.seed).toBe(42)
    expect(result.data.image).toMatchObject({ content_type: 'image/png', width: 768, height: 512 })
    expect(await fetchImage(result.data.image.url)).toEqual({ format: 'png', width: 768, height: 512 })
    expect(fetched.every((line) => line.includes(server.url))).toBe(true)
  })

  it('fal.queue.submit, status and result run a request to its image', async () => {
    const submitted = await fal.queue.submit(ENDPOINT, {
      input: { prompt: 'a red kite', width: 512, height: 768, output_format: 'webp' },
    })
    expect(submitted).toMatchObject({ status: 'IN_QUEUE', request_id: expect.any(String) })
    const requestId = submitted.request_id
    const seen: string[] = []
    let status: QueueStatus
    do {
      status = await fal.queue.status(ENDPOINT, { requestId })
      if (seen.at(-1) !== status.status) seen.push(status.status)
      if (status.status !== 'COMPLETED') await new Promise((resolve) => setTimeout(resolve, 20))
    } while (status.status !== 'COMPLETED')
    expect(seen.at(-1)).toBe('COMPLETED')
    expect(status.request_id).toBe(requestId)
    const result = await fal.queue.result(ENDPOINT, { requestId })
    expect(result.requestId).toBe(requestId)
    expect(result.data.image).toMatchObject({ content_type: 'image/webp', width: 512, height: 768 })
    expect(await fetchImage(result.data.image.url)).toEqual({ format: 'webp', width: 512, height: 768 })
  })

  it("fal.subscribe in streaming mode reports statuses in order from the server's event stream", async () => {
    const updates: QueueStatus[] = []
    let enqueued: string | undefined
    const result = await fal.subscribe(ENDPOINT, {
      input: { prompt: 'a paper boat', ...SLOW, seed: 9 },
      mode: 'streaming',
      onEnqueue: (requestId) => {
        enqueued = requestId
      },
      onQueueUpdate: (update) => updates.push(update),
    })
    expect(enqueued).toEqual(expect.any(String))
    const order = { IN_QUEUE: 0, IN_PROGRESS: 1, COMPLETED: 2 }
    const ranks = updates.map((update) => order[update.status])
    expect(ranks).toEqual([...ranks].sort())
    expect(updates.at(-1)).toMatchObject({ status: 'COMPLETED', request_id: enqueued })
    // genimage's extra field on IN_PROGRESS: the sampler step, rising.
    const steps = updates
      .map((update) => (update as { progress?: { step: number } }).progress?.step)
      .filter((step) => step !== undefined)
    expect(steps.length).toBeGreaterThan(0)
    expect(steps).toEqual([...steps].sort())
    expect(result.data).toMatchObject({ seed: 9, image: { width: 1024, height: 1024 } })
    expect(fetched.some((line) => line.startsWith(`GET ${server.url}/queue/requests/${enqueued}/status/stream`))).toBe(
      true,
    )
  })

  it('fal.queue.streamStatus resolves with the COMPLETED status', async () => {
    const { request_id: requestId } = await fal.queue.submit(ENDPOINT, { input: { prompt: 'a teapot' } })
    const stream = await fal.queue.streamStatus(ENDPOINT, { requestId })
    const done = await stream.done()
    expect(done).toMatchObject({ status: 'COMPLETED', request_id: requestId })
  })

  it('fal.queue.cancel cancels a queued request: its status completes as cancelled and result() throws', async () => {
    const ids: string[] = []
    for (const index of [1, 2, 3]) {
      const { request_id } = await fal.queue.submit(ENDPOINT, { input: { prompt: `cancel me ${index}`, ...SLOW } })
      ids.push(request_id)
    }
    // The first runs; while it holds the GPU the bridge takes no more, so the other two wait in genimage's queue.
    const last = ids.at(-1)!
    expect(await fal.queue.status(ENDPOINT, { requestId: last })).toMatchObject({ status: 'IN_QUEUE' })
    await expect(fal.queue.cancel(ENDPOINT, { requestId: last })).resolves.toBeUndefined()
    const stream = await fal.queue.streamStatus(ENDPOINT, { requestId: last })
    expect(await stream.done()).toMatchObject({ status: 'COMPLETED', outcome: 'cancelled' })
    const failure = await fal.queue.result(ENDPOINT, { requestId: last }).catch((error: unknown) => error)
    expect(failure).toBeInstanceOf(ApiError)
    expect(failure).toMatchObject({ status: 400, body: { detail: expect.stringMatching(/cancel/i) } })
    // The running one is interrupted in ComfyUI.
    await fal.queue.cancel(ENDPOINT, { requestId: ids[0]! })
    const first = await fal.queue.streamStatus(ENDPOINT, { requestId: ids[0]! })
    expect(await first.done()).toMatchObject({ status: 'COMPLETED', outcome: 'cancelled' })
    // Cancelling what already finished is refused the way fal refuses it.
    const second = await (await fal.queue.streamStatus(ENDPOINT, { requestId: ids[1]! })).done()
    expect(second).toMatchObject({ status: 'COMPLETED', outcome: 'succeeded' })
    const late = await fal.queue.cancel(ENDPOINT, { requestId: ids[1]! }).catch((error: unknown) => error)
    expect(late).toMatchObject({ status: 400, body: { status: 'ALREADY_COMPLETED' } })
  })

  it("surfaces invalid input as fal's ValidationError with field errors", async () => {
    const error = await fal.run(ENDPOINT, { input: { prompt: 'a fox', width: 513 } }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ValidationError)
    expect((error as ValidationError).getFieldErrors('width')).toEqual([
      expect.objectContaining({ loc: ['body', 'width'], type: 'multiple_of' }),
    ])
  })

  it("sends fal's credentials as the API key: without them the server answers 401", async () => {
    const anonymous = createFalClient({ credentials: undefined, requestMiddleware: toGenimage(server.url) })
    const error = await anonymous.run(ENDPOINT, { input: { prompt: 'a fox' } }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ApiError)
    expect(error).toMatchObject({ status: 401, body: { detail: expect.stringMatching(/API key/) } })
  })
})

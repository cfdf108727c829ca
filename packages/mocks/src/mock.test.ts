import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createGenimageMock } from './mock.js'

const baseUrl = 'https://api.genimage.test/v1'
const genimage = createGenimageMock({ baseUrl, mode: 'manual' })
const server = setupServer(...genimage.handlers)

// msw 3 reads onUnhandledFrame, msw 2 (the Node 20 leg) onUnhandledRequest; each ignores the other's name.
const strict = { onUnhandledFrame: 'error', onUnhandledRequest: 'error' } as const
beforeAll(() => server.listen(strict))
afterEach(async () => {
  server.resetHandlers()
  await genimage.controls.finish()
  genimage.reset()
})
afterAll(() => server.close())

const post = (path: string, body: unknown) =>
  fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
const status = async (id: string) =>
  (await (await fetch(`${baseUrl}/queue/requests/${id}/status`)).json()) as Record<string, any>
const submit = async (body: unknown) =>
  ((await (await post('/queue/generate', body)).json()) as { request_id: string }).request_id

describe('manual mode', () => {
  it('holds each step until the test releases it, with exact positions and progress', async () => {
    const first = await submit({ prompt: 'first', num_inference_steps: 2 })
    const second = await submit({ prompt: 'second' })
    await genimage.controls.waitForHeld()
    expect(await status(first)).toMatchObject({ status: 'IN_PROGRESS', progress: { step: 0, total_steps: 2 } })
    expect(await status(second)).toMatchObject({ status: 'IN_QUEUE', queue_position: 0 })
    await genimage.controls.step()
    expect(await status(first)).toMatchObject({ status: 'IN_PROGRESS', progress: { step: 1, total_steps: 2 } })
    await genimage.controls.step()
    expect(await status(first)).toMatchObject({ status: 'COMPLETED', outcome: 'succeeded' })
    expect(genimage.controls.held()).toEqual([{ jobId: second, step: 1 }])
    await genimage.controls.finish()
    expect(await status(second)).toMatchObject({ status: 'COMPLETED', outcome: 'succeeded' })
  })

  it('runs freely between resume() and hold()', async () => {
    genimage.controls.resume()
    const id = await submit({ prompt: 'free', num_inference_steps: 4 })
    await expect.poll(async () => (await status(id)).status).toBe('COMPLETED')
    genimage.controls.hold()
    const heldId = await submit({ prompt: 'held again' })
    expect(await genimage.controls.waitForHeld()).toEqual({ jobId: heldId, step: 1 })
  })

  it('explains what to do when step() has nothing to release', async () => {
    await expect(genimage.controls.step()).rejects.toThrow(/submit one first/)
  })

  it('serves the mounted base path only', async () => {
    const response = await fetch(`${baseUrl}/health`)
    expect(await response.json()).toEqual({ status: 'ok' })
    await expect(fetch('https://api.genimage.test/health')).rejects.toThrow()
  })

  it('forgets jobs on reset()', async () => {
    const id = await submit({ prompt: 'soon forgotten' })
    await genimage.controls.finish()
    genimage.reset()
    expect((await fetch(`${baseUrl}/queue/requests/${id}/status`)).status).toBe(404)
  })
})

describe('num_images and image-to-image', () => {
  // A 1×1 PNG (red), as a browser's FileReader would give it for an uploaded picture.
  const PIXEL =
    'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC'

  it('steps one job of num_images 3 and completes it with three stored images', async () => {
    const id = await submit({ prompt: 'three', num_images: 3, num_inference_steps: 2 })
    await genimage.controls.waitForHeld()
    expect(await status(id)).toMatchObject({ status: 'IN_PROGRESS', progress: { step: 0, total_steps: 2 } })
    await genimage.controls.finish()
    const result = (await (await fetch(`${baseUrl}/queue/requests/${id}`)).json()) as Record<string, any>
    expect(result.images).toHaveLength(3)
    expect(result.image).toEqual(result.images[0])
    for (const image of result.images) expect((await fetch(image.url)).status).toBe(200)
  })

  it('answers image-to-image from an uploaded picture, stepping floor(strength × steps)', async () => {
    const id = await submit({ prompt: 'from a picture', image_url: PIXEL, strength: 0.5, num_inference_steps: 4 })
    await genimage.controls.waitForHeld()
    expect(await status(id)).toMatchObject({ progress: { step: 0, total_steps: 2 } })
    await genimage.controls.finish()
    const result = (await (await fetch(`${baseUrl}/queue/requests/${id}`)).json()) as Record<string, any>
    expect(result.image).toMatchObject({ width: 512, height: 512, content_type: 'image/png' })
  })

  it('answers 422 at body.image_url for a picture that is not one', async () => {
    const response = await post('/generate', { prompt: 'broken', image_url: 'data:image/png;base64,AAAA' })
    expect(response.status).toBe(422)
    expect(await response.json()).toMatchObject({ detail: [{ loc: ['body', 'image_url'] }] })
  })
})

describe('scenarios', () => {
  it('validationError answers exactly what the validator says about the overridden request', async () => {
    server.use(...genimage.scenarios.validationError({ height: 100 }))
    const response = await post('/generate', { prompt: 'p' })
    expect(response.status).toBe(422)
    expect(await response.json()).toEqual({
      detail: [
        {
          loc: ['body', 'height'],
          msg: 'Input should be greater than or equal to 256',
          type: 'greater_than_equal',
          input: 100,
          ctx: { ge: 256 },
        },
      ],
    })
  })

  it('validationError refuses overrides that make a valid request', async () => {
    server.use(...genimage.scenarios.validationError({ width: 512 }))
    const response = await post('/generate', { prompt: 'p' })
    expect(response.status).toBe(500)
  })

  it('rateLimited answers 429 with Retry-After, once when asked', async () => {
    server.use(...genimage.scenarios.rateLimited({ retryAfter: 3, once: true }))
    const limited = await post('/queue/generate', { prompt: 'p' })
    expect(limited.status).toBe(429)
    expect(limited.headers.get('retry-after')).toBe('3')
    expect((await post('/queue/generate', { prompt: 'p' })).status).toBe(202)
  })

  it.each([500, 502, 503, 504] as const)('serverError answers %i', async (code) => {
    server.use(...genimage.scenarios.serverError({ status: code }))
    const response = await post('/generate', { prompt: 'p' })
    expect(response.status).toBe(code)
    expect(((await response.json()) as { detail: string }).detail.length).toBeGreaterThan(0)
    expect(response.headers.has('retry-after')).toBe(code === 503)
  })

  it('slow delays the answer and then answers normally', async () => {
    server.use(...genimage.scenarios.slow({ delayMs: 120 }))
    const started = performance.now()
    const response = await fetch(`${baseUrl}/health`)
    expect(response.status).toBe(200)
    expect(performance.now() - started).toBeGreaterThanOrEqual(100)
  })

  it('stuckInQueue keeps a submission IN_QUEUE at the given position', async () => {
    server.use(...genimage.scenarios.stuckInQueue({ position: 4 }))
    const id = await submit({ prompt: 'p' })
    expect(await status(id)).toMatchObject({ status: 'IN_QUEUE', queue_position: 4 })
    expect((await fetch(`${baseUrl}/queue/requests/${id}`)).status).toBe(400)
    const stuck = post('/generate', { prompt: 'p' })
    const outcome = await Promise.race([
      stuck.then(() => 'answered'),
      new Promise((r) => setTimeout(() => r('waiting'), 100)),
    ])
    expect(outcome).toBe('waiting')
  })

  it('failAfterProgress reports progress, then fails the job with 502', async () => {
    server.use(...genimage.scenarios.failAfterProgress({ step: 2, once: true }))
    const id = await submit({ prompt: 'p', num_inference_steps: 3 })
    await genimage.controls.waitForHeld()
    await genimage.controls.step()
    expect(await status(id)).toMatchObject({ status: 'IN_PROGRESS', progress: { step: 1 } })
    await genimage.controls.step()
    expect(await status(id)).toMatchObject({ status: 'COMPLETED', outcome: 'failed' })
    const result = await fetch(`${baseUrl}/queue/requests/${id}`)
    expect(result.status).toBe(502)
    expect(((await result.json()) as { detail: string }).detail).toMatch(/VAEDecode/)
  })

  it('failAfterProgress with out_of_memory still fails a job shorter than the step', async () => {
    server.use(...genimage.scenarios.failAfterProgress({ step: 4, kind: 'out_of_memory', once: true }))
    const id = await submit({ prompt: 'p', num_inference_steps: 1 })
    await genimage.controls.finish()
    const result = await fetch(`${baseUrl}/queue/requests/${id}`)
    expect(result.status).toBe(502)
    expect(((await result.json()) as { detail: string }).detail).toMatch(/out of GPU memory/)
  })

  it('networkError makes fetch reject', async () => {
    server.use(...genimage.scenarios.networkError())
    await expect(fetch(`${baseUrl}/health`)).rejects.toThrow(TypeError)
  })
})

describe('scenario wording', () => {
  it('rateLimited answers as the queue itself does when it is full: same status, wording and Retry-After', async () => {
    const other = createGenimageMock({ baseUrl: 'https://full.genimage.test', mode: 'manual', maxQueueSize: 1 })
    server.use(...other.handlers)
    const submitTo = (base: string) =>
      fetch(`${base}/queue/generate`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ prompt: 'p' }),
      })
    await submitTo('https://full.genimage.test')
    await submitTo('https://full.genimage.test')
    const real = await submitTo('https://full.genimage.test')
    expect(real.status).toBe(429)
    const realDetail = ((await real.json()) as { detail: string }).detail
    server.use(...genimage.scenarios.rateLimited({ retryAfter: Number(real.headers.get('retry-after')) }))
    const scenario = await submitTo(baseUrl)
    expect(scenario.status).toBe(429)
    expect(scenario.headers.get('retry-after')).toBe(real.headers.get('retry-after'))
    // The mock above has maxQueueSize 1, this one the default 64: only the count differs.
    expect(((await scenario.json()) as { detail: string }).detail).toBe(
      realDetail.replace('(1 waiting)', '(64 waiting)'),
    )
    await other.controls.finish()
  })

  it('serverError 504 answers in the words of a real job timeout', async () => {
    const slow = createGenimageMock({ baseUrl: 'https://slow.genimage.test', mode: 'manual', jobTimeoutMs: 30 })
    server.use(...slow.handlers)
    const real = await fetch('https://slow.genimage.test/generate', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'held until it times out' }),
    })
    expect(real.status).toBe(504)
    const realDetail = ((await real.json()) as { detail: string }).detail
    server.use(...genimage.scenarios.serverError({ status: 504 }))
    const scenario = await post('/generate', { prompt: 'p' })
    expect(scenario.status).toBe(504)
    expect(((await scenario.json()) as { detail: string }).detail).toBe(realDetail.replace('30 ms', '60000 ms'))
  })
})

describe('createGenimageMock options', () => {
  it('rejects a relative baseUrl outside a browser with a clear message', () => {
    expect(() => createGenimageMock({ baseUrl: 'api' })).toThrow(/absolute http\(s\) URL/)
  })
})

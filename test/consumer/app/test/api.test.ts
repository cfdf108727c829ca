import {
  ConnectionError,
  createClient,
  GenerationFailedError,
  type Progress,
  RateLimitError,
  ServiceUnavailableError,
  ValidationError,
} from '@genimage/client'
import { setupGenimageServer } from '@genimage/mocks/node'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'

// The mocks README's setup, in a new user's app on msw 3, where `onUnhandledRequest` became `onUnhandledFrame`.
// `stepMs` spaces the sampling steps so the stream sees each one.
const baseUrl = 'https://genimage.test'
const { server, genimage } = setupGenimageServer({ baseUrl, stepMs: 20 })
const client = createClient({ baseUrl, retry: false })

beforeAll(() => server.listen({ onUnhandledFrame: 'error' }))
afterEach(() => {
  server.resetHandlers()
  genimage.reset()
})
afterAll(() => server.close())

describe('@genimage/client on @genimage/mocks, as installed from the registry', () => {
  it('generates an image of the requested size, and its URL serves a PNG', async () => {
    const { image, seed, requestId } = await client.generate({ prompt: 'a lighthouse at dawn', width: 640 })
    expect(image).toMatchObject({ width: 640, height: 512 })
    expect(Number.isInteger(seed)).toBe(true)
    expect(requestId).not.toBe('')
    const file = await fetch(image.url)
    expect(file.headers.get('content-type')).toBe('image/png')
  })

  it('subscribe reports each sampling step through onProgress, then resolves with the image', async () => {
    const progress: Progress[] = []
    const statuses: string[] = []
    const { image } = await client.subscribe(
      { prompt: 'a red fox in the snow', num_inference_steps: 4, width: 256, height: 256 },
      { onProgress: (step) => progress.push(step), onQueueUpdate: ({ status }) => statuses.push(status) },
    )
    expect(image).toMatchObject({ width: 256, height: 256 })
    // Each finished step once, in order; a `0/4` (started, nothing done yet) may come first.
    const seen = progress.map(({ step, total_steps }) => `${step}/${total_steps}`)
    expect(seen.filter((text) => text !== '0/4')).toEqual(['1/4', '2/4', '3/4', '4/4'])
    expect(statuses.at(-1)).toBe('COMPLETED')
  })

  it('a validation error names the field to fix', async () => {
    server.use(...genimage.scenarios.validationError({ width: 300 }))
    const error = await client.generate({ prompt: 'a fox' }).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(ValidationError)
    expect((error as ValidationError).fieldErrors('width')[0]?.msg).toMatch(/multiple of 8/)
  })

  it('a full queue is a RateLimitError carrying Retry-After', async () => {
    server.use(...genimage.scenarios.rateLimited({ retryAfter: 120 }))
    const error = await client.generate({ prompt: 'a fox' }).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(RateLimitError)
    expect((error as RateLimitError).retryAfter).toBe(120)
  })

  it('a job that fails after progress is a GenerationFailedError, after the steps it reported', async () => {
    server.use(...genimage.scenarios.failAfterProgress({ step: 3 }))
    const progress: number[] = []
    const error = await client
      .subscribe({ prompt: 'a fox', num_inference_steps: 4 }, { onProgress: ({ step }) => progress.push(step) })
      .catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(GenerationFailedError)
    expect(progress.at(-1)).toBe(2)
  })

  it('a restarting backend is a ServiceUnavailableError; an unreachable server a ConnectionError', async () => {
    server.use(...genimage.scenarios.serverError({ status: 503, once: true }))
    await expect(client.generate({ prompt: 'a fox' })).rejects.toBeInstanceOf(ServiceUnavailableError)
    server.use(...genimage.scenarios.networkError())
    await expect(client.generate({ prompt: 'a fox' })).rejects.toBeInstanceOf(ConnectionError)
  })
})

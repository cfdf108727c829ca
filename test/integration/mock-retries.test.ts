import {
  ConnectionError,
  createClient,
  GenerationFailedError,
  RateLimitError,
  ServiceUnavailableError,
} from '@genimage/client'
import { setupGenimageServer } from '@genimage/mocks/node'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'

// The client as an app creates it: default retries. The mocks README's table says what each scenario costs.
const baseUrl = 'https://api.genimage.test'
const { server, genimage } = setupGenimageServer({ baseUrl })
const client = createClient({ baseUrl })
let posts = 0

beforeAll(() => {
  server.listen({ onUnhandledFrame: 'error' })
  server.events.on('request:start', ({ request }) => {
    if (request.method === 'POST') posts += 1
  })
})
afterEach(() => {
  server.resetHandlers()
  genimage.reset()
  posts = 0
})
afterAll(() => server.close())

describe('retries under the mocks, with the default client', () => {
  it('rateLimited() throws RateLimitError on the first answer, naming the Retry-After', async () => {
    server.use(...genimage.scenarios.rateLimited())
    const error = await client.generate({ prompt: 'busy' }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RateLimitError)
    expect((error as RateLimitError).retryAfter).toBe(120)
    expect(posts).toBe(1)
  })

  it('serverError({ status: 503 }) throws ServiceUnavailableError on the first answer', async () => {
    server.use(...genimage.scenarios.serverError({ status: 503 }))
    const error = await client.generate({ prompt: 'restarting' }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ServiceUnavailableError)
    expect(posts).toBe(1)
  })

  it('rateLimited({ retryAfter: 1 }) is retried twice, then throws RateLimitError', async () => {
    server.use(...genimage.scenarios.rateLimited({ retryAfter: 1 }))
    await expect(client.generate({ prompt: 'busy' })).rejects.toBeInstanceOf(RateLimitError)
    expect(posts).toBe(3)
  })

  it('serverError() (502) is retried twice after backoff, then throws GenerationFailedError', async () => {
    server.use(...genimage.scenarios.serverError())
    await expect(client.generate({ prompt: 'failing' })).rejects.toBeInstanceOf(GenerationFailedError)
    expect(posts).toBe(3)
  })

  it('networkError() is retried twice after backoff, then throws ConnectionError', async () => {
    server.use(...genimage.scenarios.networkError())
    await expect(client.generate({ prompt: 'unreachable' })).rejects.toBeInstanceOf(ConnectionError)
    expect(posts).toBe(3)
  })

  it('rateLimited({ retryAfter: 1, once: true }) is retried once, then succeeds', async () => {
    server.use(...genimage.scenarios.rateLimited({ retryAfter: 1, once: true }))
    const { image } = await client.generate({ prompt: 'busy once' })
    expect(image.width).toBe(512)
    expect(posts).toBe(2)
  })
})

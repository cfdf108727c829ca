import { createClient } from '@genimage/client'
import { setupGenimageServer } from '@genimage/mocks/node'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createAvatarService } from '../src/avatar-service.js'

// One mocked API for the whole file; each test adds a scenario with server.use(...).
const baseUrl = 'https://genimage.test'
const { server, genimage } = setupGenimageServer({ baseUrl })
// `retry: false` keeps each scenario to one answer; the client's retries are tested in @genimage/client.
const avatars = createAvatarService(createClient({ baseUrl, retry: false }))

beforeAll(() => server.listen({ onUnhandledFrame: 'error' }))
afterEach(() => {
  server.resetHandlers()
  genimage.reset()
})
afterAll(() => server.close())

describe('avatar service, scenario by scenario', () => {
  it('success: returns an image of the requested size, which the URL serves', async () => {
    const result = await avatars.create({ name: 'Ada', size: 320 })
    expect(result).toMatchObject({ ok: true, width: 320, height: 320 })
    if (!result.ok) return
    const image = await fetch(result.url)
    expect(image.headers.get('content-type')).toBe('image/png')
  })

  it('validation error: tells the user which field to fix', async () => {
    server.use(...genimage.scenarios.validationError({ width: 300 }))
    const result = await avatars.create({ name: 'Ada' })
    expect(result).toMatchObject({ ok: false, reason: 'invalid', field: 'width' })
    expect(!result.ok && result.message).toMatch(/^Please check width: .*multiple of 8/)
  })

  it('rate limit: asks to come back after the server’s Retry-After', async () => {
    server.use(...genimage.scenarios.rateLimited({ retryAfter: 30 }))
    const result = await avatars.create({ name: 'Ada' })
    expect(result).toEqual({
      ok: false,
      reason: 'busy',
      retryAfter: 30,
      message: 'Lots of people are making avatars right now. Try again in 30 s.',
    })
  })

  it('server error: a generic apology with the status, never the server’s internals', async () => {
    server.use(...genimage.scenarios.serverError({ status: 502, detail: 'CUDA out of memory on gpu-7' }))
    const result = await avatars.create({ name: 'Ada' })
    expect(result).toMatchObject({ ok: false, reason: 'failed' })
    expect(!result.ok && result.message).toBe('Something went wrong on our side (error 502). Please try again.')
  })

  it('server error after progress: the job fails midway and the user sees the same apology', async () => {
    server.use(...genimage.scenarios.failAfterProgress({ step: 2 }))
    const result = await avatars.create({ name: 'Ada', steps: 3 })
    expect(result).toMatchObject({ ok: false, reason: 'failed' })
    expect(!result.ok && result.message).toBe('Something went wrong on our side (error 502). Please try again.')
  })

  it('slow: gives up after the time limit with a message instead of spinning forever', async () => {
    server.use(...genimage.scenarios.slow({ delayMs: 5_000 }))
    const result = await avatars.create({ name: 'Ada' }, { timeoutMs: 200 })
    expect(result).toEqual({ ok: false, reason: 'timeout', message: 'This is taking too long. Please try again.' })
  })

  it('slow but within the limit: still succeeds', async () => {
    server.use(...genimage.scenarios.slow({ delayMs: 50 }))
    const result = await avatars.create({ name: 'Ada' }, { timeoutMs: 10_000 })
    expect(result).toMatchObject({ ok: true, width: 256 })
  })

  it('network error: says the service is unreachable', async () => {
    server.use(...genimage.scenarios.networkError())
    const result = await avatars.create({ name: 'Ada' })
    expect(result).toMatchObject({ ok: false, reason: 'offline' })
  })
})

// Edges of the client's checks and error identities that mutation testing (bench/mutation) found unpinned.
import { describe, expect, it } from 'vitest'
import { createClient } from './client.js'
import { ApiError } from './errors/api-error.js'
import { GenimageError } from './errors/genimage-error.js'
import { UserAbortError } from './errors/user-abort-error.js'
import { fetchStub, generated, json } from './test-helpers.js'

const baseUrl = 'http://api.test'

describe('Idempotency-Key length', () => {
  it('sends a key of 255 characters and refuses one of 256 before any request', async () => {
    const fetch = fetchStub(json(generated))
    const client = createClient({ baseUrl, fetch })
    await client.generate({ prompt: 'x' }, { idempotencyKey: 'k'.repeat(255) })
    expect(fetch.calls[0]?.headers.get('idempotency-key')).toBe('k'.repeat(255))
    await expect(client.generate({ prompt: 'x' }, { idempotencyKey: 'k'.repeat(256) })).rejects.toThrow(
      '`idempotencyKey` must be a string of 1 to 255 characters, or false',
    )
    expect(fetch.calls).toHaveLength(1)
  })
})

describe('createClient options', () => {
  it.each(['ftp://http://api.test', ' http://api.test', 'api.test/http://x'])(
    'refuses a baseUrl that only contains an http URL: %j',
    (bad) => {
      expect(() => createClient({ baseUrl: bad })).toThrow('`baseUrl` must be an absolute http(s) URL')
    },
  )

  it.each([
    ['retry.baseDelay', { baseDelay: -1 }],
    ['retry.maxDelay', { maxDelay: Number.NaN }],
  ])('names %s when it is out of range', (name, retry) => {
    expect(() => createClient({ baseUrl, retry })).toThrow(`\`${name}\` must be a number from 0 to`)
  })
})

describe('error identities', () => {
  it('names each error class, as logs and error trackers show it', () => {
    expect(new GenimageError('x').name).toBe('GenimageError')
    expect(new ApiError({ status: 418, body: undefined, requestId: 'r1', headers: new Headers() }).name).toBe(
      'ApiError',
    )
  })

  it('says the request was aborted by its signal', () => {
    expect(new UserAbortError('because').message).toBe('The request was aborted by its signal')
  })
})

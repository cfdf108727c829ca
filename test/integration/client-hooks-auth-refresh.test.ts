import { AuthenticationError, createClient, type HookRequest, type Hooks } from '@genimage/client'
import { setupGenimageServer } from '@genimage/mocks/node'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'

// The mock reads `apiKeys` at every request, so replacing its entry rotates the key the server accepts.
const baseUrl = 'https://api.genimage.test'
const keys = ['key-1']
const { server, genimage } = setupGenimageServer({ baseUrl, apiKeys: keys })
let seen: { line: string; authorization: string | null; idempotencyKey: string | null }[] = []

/** An app's credential store: the token it holds, and a refresh that asks the (fake) issuer for the current key. */
function credentials(issuer: () => string) {
  const store = { token: 'key-1', refreshes: 0 }
  const refresh = async () => {
    store.refreshes += 1
    store.token = await Promise.resolve(issuer())
  }
  return { store, refresh }
}

/** The README's auth-refresh recipe: send the current token; on a 401, refresh it and retry, once per call. */
function authRefresh(store: { token: string }, refresh: () => Promise<void>): Hooks {
  const refreshed = new WeakSet<HookRequest>()
  return {
    beforeRequest: [({ request }) => request.headers.set('authorization', `Bearer ${store.token}`)],
    afterResponse: [
      async ({ request, response }) => {
        if (response.status !== 401 || refreshed.has(request)) return
        refreshed.add(request)
        await refresh()
        return 'retry'
      },
    ],
  }
}

beforeAll(() => {
  server.listen({ onUnhandledFrame: 'error' })
  server.events.on('request:start', ({ request }) =>
    seen.push({
      line: `${request.method} ${new URL(request.url).pathname}`,
      authorization: request.headers.get('authorization'),
      idempotencyKey: request.headers.get('idempotency-key'),
    }),
  )
})
beforeEach(() => {
  keys.splice(0, keys.length, 'key-1')
})
afterEach(() => {
  server.resetHandlers()
  genimage.reset()
  seen = []
})
afterAll(() => server.close())

describe('auth refresh through client hooks, against a mock whose key rotates', () => {
  it('generate() refreshes the expired key on 401 and retries once with the same Idempotency-Key', async () => {
    const { store, refresh } = credentials(() => keys[0]!)
    const client = createClient({ baseUrl, hooks: authRefresh(store, refresh) })
    await expect(client.generate({ prompt: 'before rotation' })).resolves.toMatchObject({ seed: expect.any(Number) })
    keys[0] = 'key-2'
    seen = []
    const { image } = await client.generate({ prompt: 'after rotation' })
    expect(image.url).toMatch(/\/files\//)
    expect(store.refreshes).toBe(1)
    expect(seen.map(({ line, authorization }) => `${line} ${authorization}`)).toEqual([
      'POST /generate Bearer key-1',
      'POST /generate Bearer key-2',
    ])
    expect(seen[1]?.idempotencyKey).toBe(seen[0]?.idempotencyKey)
  })

  it('subscribe() refreshes on the submit, then streams and fetches the result with the new key', async () => {
    keys[0] = 'key-2'
    const { store, refresh } = credentials(() => keys[0]!)
    const client = createClient({ baseUrl, hooks: authRefresh(store, refresh) })
    const { image } = await client.subscribe({ prompt: 'a rotating lighthouse' })
    expect(image.width).toBeGreaterThan(0)
    expect(store.refreshes).toBe(1)
    expect(seen.map(({ line, authorization }) => `${line} ${authorization}`)).toEqual([
      'POST /queue/generate Bearer key-1',
      'POST /queue/generate Bearer key-2',
      expect.stringMatching(/^GET \/queue\/requests\/[^/]+\/status\/stream Bearer key-2$/),
      expect.stringMatching(/^GET \/queue\/requests\/[^/]+ Bearer key-2$/),
    ])
  })

  it('rejects with AuthenticationError after one retry when the refreshed key is refused too', async () => {
    keys[0] = 'key-2'
    const { store, refresh } = credentials(() => 'key-revoked')
    const client = createClient({ baseUrl, hooks: authRefresh(store, refresh) })
    await expect(client.generate({ prompt: 'locked out' })).rejects.toBeInstanceOf(AuthenticationError)
    expect(store.refreshes).toBe(1)
    expect(seen.map(({ authorization }) => authorization)).toEqual(['Bearer key-1', 'Bearer key-revoked'])
  })
})

import { describe, expect, it } from 'vitest'
import type { Backend, BackendJob, BackendState } from '../backend.js'
import { MemoryJobQueue, type MemoryJobQueueOptions } from '../queue/memory/memory-job-queue.js'
import type { JobRecord } from '../queue/port.js'
import { MemoryImageStore } from '../store/memory-store.js'
import { createSyntheticBackend } from '../synthetic/synthetic-backend.js'
import { type AppOptions, createApp, type RequestRecord } from './create-app.js'
import { ownerOfApiKey } from './owner.js'

const KEY_A = 'key-of-alice'
const KEY_B = 'key-of-bob'

/** A synthetic backend whose jobs wait at step 1 until released, so tests act while a job runs. */
const heldBackend = () => {
  const releases: (() => void)[] = []
  let onHeld: (job: BackendJob) => void = () => {}
  const held = () => new Promise<BackendJob>((resolve) => (onHeld = resolve))
  const backend = createSyntheticBackend({
    beforeStep: (job, step) =>
      step === 1
        ? new Promise<void>((resolve) => {
            releases.push(resolve)
            job.signal.addEventListener('abort', () => resolve(), { once: true })
            onHeld(job)
          })
        : undefined,
  })
  return {
    backend,
    held,
    releaseAll: () => {
      for (const release of releases.splice(0)) release()
    },
  }
}

const build = (
  appOptions: Partial<AppOptions> = {},
  queueOptions: Partial<MemoryJobQueueOptions> = {},
  backend: Backend = createSyntheticBackend(),
  store = new MemoryImageStore(),
) => {
  const finished: JobRecord[] = []
  const finishedWaiters: ((record: JobRecord) => void)[] = []
  const queue = new MemoryJobQueue({
    backend,
    store,
    onJobFinished: (record) => {
      finished.push(record)
      finishedWaiters.shift()?.(record)
    },
    ...queueOptions,
  })
  const app = createApp({ queue, store, metrics: queue.metrics, ...appOptions })
  const nextFinished = () => new Promise<JobRecord>((resolve) => finishedWaiters.push(resolve))
  return { app, queue, store, finished, nextFinished }
}

const json = (body: unknown, headers: Record<string, string> = {}) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
})
const auth = (key: string) => ({ authorization: `Key ${key}` })

describe('isolation between API keys', () => {
  it('answers 404 to another key on status, stream, result and cancel, exactly as for an unknown id', async () => {
    const { app, queue } = build({ apiKeys: [KEY_A, KEY_B] })
    const submitted = await app.request('/queue/generate', json({ prompt: 'alice only' }, auth(KEY_A)))
    expect(submitted.status).toBe(202)
    const { request_id: id } = (await submitted.json()) as { request_id: string }
    await queue.waitFor(id, await ownerOfApiKey(KEY_A))
    for (const path of [
      `/queue/requests/${id}/status`,
      `/queue/requests/${id}/status/stream`,
      `/queue/requests/${id}`,
    ]) {
      const asBob = await app.request(path, { headers: auth(KEY_B) })
      expect(asBob.status, path).toBe(404)
      expect(await asBob.json()).toEqual({ detail: `Request ${id} not found` })
      expect((await app.request(path, { headers: auth(KEY_A) })).status, path).toBe(200)
    }
    const cancel = await app.request(`/queue/requests/${id}/cancel`, { method: 'PUT', headers: auth(KEY_B) })
    expect(cancel.status).toBe(404)
    expect(await cancel.json()).toEqual({ status: 'NOT_FOUND', detail: `Request ${id} not found` })
  })

  it('never lets another key cancel a running job: it still completes for its owner', async () => {
    const { backend, held, releaseAll } = heldBackend()
    const { app, nextFinished } = build({ apiKeys: [KEY_A, KEY_B] }, {}, backend)
    const started = held()
    const { request_id: id } = (await (
      await app.request('/queue/generate', json({ prompt: 'running' }, auth(KEY_A)))
    ).json()) as { request_id: string }
    await started
    const cancel = await app.request(`/queue/requests/${id}/cancel`, { method: 'PUT', headers: auth(KEY_B) })
    expect(cancel.status).toBe(404)
    const finished = nextFinished()
    releaseAll()
    expect((await finished).outcome).toBe('succeeded')
    const result = await app.request(`/queue/requests/${id}`, { headers: auth(KEY_A) })
    expect(result.status).toBe(200)
  })

  it('stores an owner id derived from the key, never the key itself', async () => {
    const { app, finished, nextFinished } = build({ apiKeys: [KEY_A] })
    const done = nextFinished()
    await app.request('/queue/generate', json({ prompt: 'whose' }, auth(KEY_A)))
    await done
    expect(finished[0]!.owner).toMatch(/^[0-9a-f]{32}$/)
    expect(JSON.stringify(finished[0])).not.toContain(KEY_A)
  })
})

describe('Idempotency-Key', () => {
  it.each([
    ['empty', '', /it is empty/],
    ['256 characters', 'k'.repeat(256), /it has 256 characters/],
    ['a tab inside', 'order\t42', /printable ASCII/],
    ['a non-ASCII character', 'commande-é', /printable ASCII/],
  ])('answers 400 for a key that is %s', async (_label, key, reason) => {
    const { app, finished } = build()
    for (const path of ['/generate', '/queue/generate']) {
      const response = await app.request(path, json({ prompt: 'p' }, { 'idempotency-key': key }))
      expect(response.status).toBe(400)
      const { detail } = (await response.json()) as { detail: string }
      expect(detail).toMatch(/^Idempotency-Key must be 1 to 255 printable ASCII characters/)
      expect(detail).toMatch(reason)
    }
    expect(finished).toHaveLength(0)
  })

  it('accepts a key of 255 printable characters, spaces included', async () => {
    const { app } = build()
    const key = `order 42 ${'~'.repeat(246)}`
    const first = await app.request('/queue/generate', json({ prompt: 'p' }, { 'idempotency-key': key }))
    const again = await app.request('/queue/generate', json({ prompt: 'p' }, { 'idempotency-key': key }))
    expect(first.status).toBe(202)
    expect(((await again.json()) as { request_id: string }).request_id).toBe(
      ((await first.json()) as { request_id: string }).request_id,
    )
  })

  it("scopes keys to the API key: B reusing A's key with another body gets its own job, never a 409", async () => {
    const { app } = build({ apiKeys: [KEY_A, KEY_B] })
    const headers = (key: string) => ({ ...auth(key), 'idempotency-key': 'shared' })
    const alice = await app.request('/queue/generate', json({ prompt: 'alice' }, headers(KEY_A)))
    const bob = await app.request('/queue/generate', json({ prompt: 'bob' }, headers(KEY_B)))
    expect(bob.status).toBe(202)
    const aliceId = ((await alice.json()) as { request_id: string }).request_id
    expect(((await bob.json()) as { request_id: string }).request_id).not.toBe(aliceId)
    const conflict = await app.request('/queue/generate', json({ prompt: 'other' }, headers(KEY_A)))
    expect(conflict.status).toBe(409)
  })

  it('remembers a key in a few hundred bytes whatever the body size (the body is kept as a digest)', async () => {
    const { app } = build({}, { maxIdempotencyBytes: 10_000 })
    const body = (index: number) => ({ prompt: `${index} ${'p'.repeat(1990)}`, negative_prompt: 'n'.repeat(2000) })
    for (let index = 0; index < 10; index += 1) {
      const response = await app.request('/queue/generate', json(body(index), { 'idempotency-key': `big-${index}` }))
      expect(response.status).toBe(202)
    }
    // Every key is still remembered: the same key with another body is a conflict, not a new job.
    expect((await app.request('/queue/generate', json(body(99), { 'idempotency-key': 'big-0' }))).status).toBe(409)
  })

  it('keeps at most maxIdempotencyKeys keys: the oldest is forgotten first', async () => {
    const { app } = build({}, { maxIdempotencyKeys: 2 })
    const submit = (key: string, prompt: string) =>
      app.request('/queue/generate', json({ prompt }, { 'idempotency-key': key }))
    await submit('k1', 'one')
    await submit('k2', 'two')
    await submit('k3', 'three')
    expect((await submit('k1', 'another body')).status).toBe(202)
    expect((await submit('k3', 'another body')).status).toBe(409)
  })
})

describe('sync_mode', () => {
  it('answers with the bytes read from the store, and 404 once the store evicted them (records hold no bytes)', async () => {
    const store = new MemoryImageStore({ maxBytes: 200_000 })
    const { app } = build({}, {}, createSyntheticBackend(), store)
    const sync = await app.request(
      '/queue/generate',
      json({ prompt: 'inline', sync_mode: true, width: 256, height: 256 }),
    )
    const { request_id: id } = (await sync.json()) as { request_id: string }
    const body = await (async () => {
      for (;;) {
        const result = await app.request(`/queue/requests/${id}`)
        if (result.status === 200) return (await result.json()) as { image: { url: string; file_name: string } }
        expect(result.status).toBe(400)
        await (await app.request(`/queue/requests/${id}/status/stream`)).text()
      }
    })()
    const stored = await store.get(body.image.file_name)
    expect(body.image.url).toBe(`data:image/png;base64,${Buffer.from(stored!.bytes).toString('base64')}`)
    // Fill the store past its budget with other images: the sync result's bytes are evicted.
    await store.put('filler.png', { bytes: new Uint8Array(200_000), contentType: 'image/png' })
    const later = await app.request(`/queue/requests/${id}`)
    expect(later.status).toBe(404)
    expect(((await later.json()) as { detail: string }).detail).toMatch(/no longer stored/)
  })
})

describe('retention through HTTP', () => {
  it('answers 404 for a finished job once resultTtlMs has passed', async () => {
    let now = 1_700_000_000_000
    const { app, nextFinished } = build({}, { resultTtlMs: 1000, now: () => now })
    const done = nextFinished()
    const { request_id: id } = (await (await app.request('/queue/generate', json({ prompt: 'p' }))).json()) as {
      request_id: string
    }
    await done
    expect((await app.request(`/queue/requests/${id}/status`)).status).toBe(200)
    now += 1001
    expect((await app.request(`/queue/requests/${id}/status`)).status).toBe(404)
  })
})

describe('Host header', () => {
  it.each(['http://evil.example/queue/generate', 'http://evil.example:8787/openapi.json'])(
    'answers 400 to a Host that is not allowed (%s) and builds no URL from it',
    async (url) => {
      const { app } = build()
      const response = await app.request(url, json({ prompt: 'p' }))
      expect(response.status).toBe(400)
      const text = await response.text()
      expect(text).toMatch(/Host \\"evil.example(:8787)?\\" is not allowed/)
      expect(text).not.toContain('http://evil.example')
    },
  )

  it.each(['http://localhost:8787', 'http://127.0.0.1:1234', 'http://[::1]:8080', 'http://localhost'])(
    'allows the loopback names by default (%s)',
    async (origin) => {
      const { app } = build()
      const response = await app.request(`${origin}/queue/generate`, json({ prompt: 'p' }))
      expect(response.status).toBe(202)
      expect(((await response.json()) as { status_url: string }).status_url.startsWith(`${origin}/queue/`)).toBe(true)
    },
  )

  it('follows Django rules: .example.com allows the domain and its subdomains, nothing else', async () => {
    const { app } = build({ allowedHosts: ['.example.com'] })
    for (const host of ['example.com', 'api.example.com', 'API.Example.com:8443']) {
      expect((await app.request(`http://${host}/openapi.json`)).status, host).toBe(200)
    }
    for (const host of ['badexample.com', 'example.com.evil.net', 'localhost']) {
      expect((await app.request(`http://${host}/openapi.json`)).status, host).toBe(400)
    }
  })

  it("allows any host with '*'", async () => {
    const { app } = build({ allowedHosts: ['*'] })
    expect((await app.request('http://anything.test/openapi.json')).status).toBe(200)
  })

  it('builds every URL from publicBaseUrl when set, and allows its host', async () => {
    const { app } = build({ publicBaseUrl: 'https://api.example.com/v1/' })
    const submitted = (await (await app.request('http://localhost/queue/generate', json({ prompt: 'p' }))).json()) as {
      status_url: string
    }
    expect(submitted.status_url).toMatch(/^https:\/\/api\.example\.com\/v1\/queue\/requests\/[\w-]+\/status$/)
    const document = (await (await app.request('http://api.example.com/openapi.json')).json()) as {
      servers: { url: string }[]
    }
    expect(document.servers[0]!.url).toBe('https://api.example.com/v1')
  })

  it('gives a refused Host the headers of any answer (CORS, request id) and reports it to onRequest', async () => {
    const records: RequestRecord[] = []
    const { app } = build({ onRequest: (record) => records.push(record) })
    const response = await app.request('http://evil.example/generate', json({ prompt: 'p' }, { 'x-request-id': 'r-1' }))
    expect(response.status).toBe(400)
    expect([...response.headers]).toEqual([
      ['access-control-allow-origin', '*'],
      ['access-control-expose-headers', 'x-request-id,x-fal-request-id,Retry-After'],
      ['content-type', 'application/json'],
      ['x-request-id', 'r-1'],
    ])
    expect(records).toEqual([
      { method: 'POST', route: '/*', status: 400, durationMs: expect.any(Number), requestId: 'r-1' },
    ])
    // A preflight is answered by CORS before the Host is looked at, as before.
    const preflight = await app.request('http://evil.example/generate', {
      method: 'OPTIONS',
      headers: { origin: 'http://app.test', 'access-control-request-method': 'POST', 'x-request-id': 'r-2' },
    })
    expect(preflight.status).toBe(204)
    expect(preflight.headers.get('x-request-id')).toBe('r-2')
    expect(preflight.headers.get('access-control-allow-methods')).toBe('GET,POST,PUT,OPTIONS')
  })

  it('answers the probes whatever the Host, since they build no URL (load balancers reach them by IP)', async () => {
    const { app } = build()
    for (const path of ['/health', '/ready', '/metrics']) {
      expect((await app.request(`http://10.0.0.7:8787${path}`)).status, path).toBe(200)
    }
  })
})

describe('methods', () => {
  it.each([
    ['DELETE', '/health', 'GET, HEAD, OPTIONS'],
    ['PATCH', '/queue/generate', 'OPTIONS, POST'],
    ['GET', '/generate', 'OPTIONS, POST'],
    ['POST', '/queue/requests/abc/status', 'GET, HEAD, OPTIONS'],
  ])('answers %s %s with 405 and Allow: %s', async (method, path, allow) => {
    const { app } = build()
    const response = await app.request(path, { method })
    expect(response.status).toBe(405)
    expect(response.headers.get('allow')).toBe(allow)
    expect(((await response.json()) as { detail: string }).detail).toContain(`Method ${method} is not allowed`)
  })

  it('answers a method the API never uses with 405 and the API methods, on any path', async () => {
    const { app } = build()
    for (const path of ['/health', '/no-such-path']) {
      const response = await app.request(path, { method: 'PROPFIND' })
      expect(response.status).toBe(405)
      expect(response.headers.get('allow')).toMatch(/GET/)
    }
  })

  it('keeps 405 on API paths and 404 elsewhere when a host adds a catch-all GET that passes requests on', async () => {
    const { app } = build()
    // The server's playground: GET * serving files, passing on what it does not have.
    app.get('*', async (_c, next) => next())
    const wrongMethod = await app.request('/generate')
    expect(wrongMethod.status).toBe(405)
    expect(wrongMethod.headers.get('allow')).toBe('OPTIONS, POST')
    expect((await app.request('/missing.js')).status).toBe(404)
  })

  it('still answers 404 for an unknown path with a known method', async () => {
    const { app } = build()
    expect((await app.request('/no-such-path')).status).toBe(404)
  })
})

describe('POST /generate', () => {
  it('cancels the job when the caller hangs up before the image is ready', async () => {
    const { backend, held } = heldBackend()
    const { app, nextFinished } = build({}, {}, backend)
    const caller = new AbortController()
    const started = held()
    const answer = app.request('/generate', { ...json({ prompt: 'abandoned' }), signal: caller.signal })
    const job = await started
    const finished = nextFinished()
    caller.abort()
    expect(await finished).toMatchObject({ id: job.id, outcome: 'cancelled' })
    expect(job.signal.aborted).toBe(true)
    await Promise.resolve(answer).catch(() => {})
    expect(await (await app.request('/metrics')).text()).toMatch(/^genimage_jobs_total\{outcome="cancelled"\} 1$/m)
  })

  it('lets the job run on when a caller with an Idempotency-Key hangs up, and answers its retry with the image', async () => {
    const { backend, held, releaseAll } = heldBackend()
    const { app, nextFinished } = build({}, {}, backend)
    const request = (signal?: AbortSignal) =>
      app.request('/generate', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': 'order-7' },
        body: JSON.stringify({ prompt: 'kept' }),
        signal,
      })
    const caller = new AbortController()
    const started = held()
    const first = request(caller.signal)
    const job = await started
    caller.abort()
    await new Promise((resolve) => setTimeout(resolve, 10))
    expect(job.signal.aborted).toBe(false)
    const finished = nextFinished()
    const retry = request()
    releaseAll()
    expect(await finished).toMatchObject({ id: job.id, outcome: 'succeeded' })
    const answer = await retry
    expect(answer.status).toBe(200)
    expect(answer.headers.get('x-fal-request-id')).toBe(job.id)
    await Promise.resolve(first).catch(() => {})
  })
})

describe('/ready and drain', () => {
  it.each(['starting', 'warming_up'] as const)(
    'answers 503 with Retry-After while the backend is %s',
    async (state) => {
      const backend: Backend = { ...createSyntheticBackend(), state: (): BackendState => state }
      const { app } = build({}, {}, backend)
      const ready = await app.request('/ready')
      expect(ready.status).toBe(503)
      expect(Number(ready.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
      expect(await ready.json()).toMatchObject({ status: state })
    },
  )

  it('answers 503 with Retry-After while draining, and pollers read the final status of dropped jobs', async () => {
    const { backend, held } = heldBackend()
    const { app, queue } = build({}, {}, backend)
    const started = held()
    const ids: string[] = []
    for (const prompt of ['running', 'queued']) {
      const response = await app.request('/queue/generate', json({ prompt }))
      ids.push(((await response.json()) as { request_id: string }).request_id)
    }
    await started
    const drained = queue.drain({ graceMs: 10 })
    const ready = await app.request('/ready')
    expect(ready.status).toBe(503)
    expect(ready.headers.get('retry-after')).toBe('5')
    expect(await ready.json()).toMatchObject({ status: 'draining' })
    const refused = await app.request('/queue/generate', json({ prompt: 'late' }))
    expect(refused.status).toBe(503)
    expect(refused.headers.get('retry-after')).toBe('5')
    expect(await drained).toEqual({ dropped: 2 })
    for (const id of ids) {
      expect(await (await app.request(`/queue/requests/${id}/status`)).json()).toMatchObject({
        status: 'COMPLETED',
        outcome: 'failed',
        error: expect.stringMatching(/dropped/),
      })
      const result = await app.request(`/queue/requests/${id}`)
      expect(result.status).toBe(503)
      expect(result.headers.get('retry-after')).toBe('5')
    }
  })
})

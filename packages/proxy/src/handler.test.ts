import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { AuthenticationError, createClient } from '@genimage/client'
import type { MockHttpServer } from '@genimage/mocks/node'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { createProxyHandler } from './handler.js'
import type { ProxyOptions } from './options.js'
import { clientThrough, eventReader, everything, KEY, startUpstream } from './test-helpers.js'

const TARGET = 'http://genimage.internal:8787'
const APP = 'http://app.example'

/** A proxy whose upstream is a recording fake: each test can see exactly what would reach the server. */
const recorded = (options: Partial<ProxyOptions> = {}) => {
  const upstream = vi.fn<typeof fetch>(async () =>
    Response.json({ ok: true }, { headers: { 'x-request-id': 'upstream-id' } }),
  )
  const handler = createProxyHandler({
    targetUrl: TARGET,
    apiKey: KEY,
    authorize: () => true,
    fetch: upstream,
    ...options,
  })
  const sent = () => {
    const [url, init] = upstream.mock.calls[0]!
    return { url: String(url), init: init!, headers: new Headers(init!.headers) }
  }
  return { handler, upstream, sent }
}

const viaHeader = (target: string, init: RequestInit = {}) => {
  const headers = new Headers(init.headers)
  headers.set('x-genimage-target-url', target)
  return new Request(`${APP}/api/genimage`, { ...init, headers })
}

describe('createProxyHandler: closed by default', () => {
  it('refuses to build a proxy without authorize, naming both ways out', () => {
    expect(() => createProxyHandler({ targetUrl: TARGET, apiKey: KEY })).toThrow(
      /authorize.*allowUnauthenticated: true/s,
    )
  })

  it('builds an open proxy only when allowUnauthenticated: true is explicit', async () => {
    const upstream = vi.fn<typeof fetch>(async () => Response.json({}))
    const handler = createProxyHandler({ targetUrl: TARGET, apiKey: KEY, allowUnauthenticated: true, fetch: upstream })
    const response = await handler(viaHeader(`${TARGET}/generate`, { method: 'POST', body: '{}' }))
    expect(response.status).toBe(200)
    expect(upstream).toHaveBeenCalledOnce()
  })

  it.each([
    [{ targetUrl: 'genimage.internal' }, /targetUrl must be an absolute http\(s\) URL/],
    [{ targetUrl: 'ftp://genimage.internal' }, /targetUrl/],
    [{ targetUrl: 'http://user:pw@genimage.internal' }, /credentials/],
    [{ apiKey: '' }, /apiKey must be a non-empty string/],
    [{ allowedHeaders: ['content-type', 'Authorization'] }, /must not include 'authorization'/],
    [{ allowedHeaders: ['cookie'] }, /must not include 'cookie'/],
    [{ maxBodyBytes: 0 }, /maxBodyBytes/],
  ])('rejects unsafe or invalid options %j', (override, message) => {
    expect(() => createProxyHandler({ targetUrl: TARGET, apiKey: KEY, authorize: () => true, ...override })).toThrow(
      message,
    )
  })
})

describe('createProxyHandler: what is forwarded', () => {
  it('forwards POST /generate to the target with the key added server-side and only allowlisted headers', async () => {
    const { handler, sent } = recorded()
    const response = await handler(
      viaHeader(`${TARGET}/generate`, {
        method: 'POST',
        body: '{"prompt":"a fox"}',
        headers: {
          'content-type': 'application/json',
          'idempotency-key': 'idem-1',
          'x-request-id': 'browser-id',
          authorization: 'Key stolen-from-someone',
          cookie: 'session=abc',
          'x-forwarded-for': '10.0.0.1',
          'x-custom': 'nope',
        },
      }),
    )
    expect(response.status).toBe(200)
    const { url, init, headers } = sent()
    expect(url).toBe(`${TARGET}/generate`)
    expect(init.method).toBe('POST')
    expect(new TextDecoder().decode(init.body as Uint8Array)).toBe('{"prompt":"a fox"}')
    expect(Object.fromEntries(headers)).toEqual({
      authorization: `Key ${KEY}`,
      'content-type': 'application/json',
      'idempotency-key': 'idem-1',
      'x-request-id': 'browser-id',
    })
  })

  it('honours a custom allowedHeaders list', async () => {
    const { handler, sent } = recorded({ allowedHeaders: ['accept', 'x-tenant'] })
    await handler(
      viaHeader(`${TARGET}/queue/requests/abc/status`, { headers: { 'x-tenant': 't1', 'x-request-id': 'r' } }),
    )
    expect(sent().headers.get('x-tenant')).toBe('t1')
    expect(sent().headers.has('x-request-id')).toBe(false)
  })

  it.each([
    ['POST', '/generate'],
    ['POST', '/queue/generate'],
    ['GET', '/queue/requests/6f1c-42/status?logs=1'],
    ['GET', '/queue/requests/6f1c-42/status/stream'],
    ['GET', '/queue/requests/6f1c-42'],
    ['PUT', '/queue/requests/6f1c-42/cancel'],
    ['GET', '/files/abc_123.png'],
  ])('forwards %s %s, from the header and from the path after the mount point', async (method, path) => {
    const body = method === 'POST' ? '{}' : undefined
    for (const request of [
      viaHeader(`${TARGET}${path}`, { method, body }),
      new Request(`${APP}/api/genimage${path}`, { method, body }),
    ]) {
      const { handler, sent } = recorded()
      expect((await handler(request)).status).toBe(200)
      expect(sent().url).toBe(`${TARGET}${path}`)
      expect(sent().init.method).toBe(method)
    }
  })

  it('keeps the path prefix of targetUrl and refuses paths outside it', async () => {
    const { handler, sent } = recorded({ targetUrl: `${TARGET}/v1` })
    expect((await handler(viaHeader(`${TARGET}/v1/generate`, { method: 'POST', body: '{}' }))).status).toBe(200)
    expect(sent().url).toBe(`${TARGET}/v1/generate`)
    const outside = await handler(viaHeader(`${TARGET}/v2/generate`, { method: 'POST', body: '{}' }))
    expect(outside.status).toBe(403)
    const sibling = await handler(viaHeader(`${TARGET}/v1beta/generate`, { method: 'POST', body: '{}' }))
    expect(sibling.status).toBe(403)
  })
})

describe('createProxyHandler: what is refused', () => {
  it.each([
    ['another host', viaHeader('https://evil.example/generate', { method: 'POST', body: '{}' }), 403],
    ['the same host on another port', viaHeader('http://genimage.internal:9999/generate', { method: 'POST' }), 403],
    ['https instead of http', viaHeader('https://genimage.internal:8787/generate', { method: 'POST' }), 403],
    ['credentials in the URL', viaHeader('http://a:b@genimage.internal:8787/generate', { method: 'POST' }), 403],
    ['a relative target', viaHeader('/generate', { method: 'POST' }), 403],
    ['.. in the target', viaHeader(`${TARGET}/files/../metrics`), 403],
    ['encoded .. in the target', viaHeader(`${TARGET}/files/%2e%2e/metrics`), 403],
    ['an encoded slash', viaHeader(`${TARGET}/files/a%2fb.png`), 403],
    ['.. after the mount point', '/api/genimage/files/../../admin', 403],
    ['/metrics', viaHeader(`${TARGET}/metrics`), 404],
    ['/docs', viaHeader(`${TARGET}/docs`), 404],
    ['/health', new Request(`${APP}/api/genimage/health`), 404],
    ['a path outside the mount point', new Request(`${APP}/admin/generate`, { method: 'POST' }), 404],
    ['GET /generate', viaHeader(`${TARGET}/generate`), 405],
    ['POST to a status URL', viaHeader(`${TARGET}/queue/requests/abc/status`, { method: 'POST' }), 405],
    ['DELETE', viaHeader(`${TARGET}/queue/requests/abc`, { method: 'DELETE' }), 405],
  ])('refuses %s without calling the server', async (_name, request, status) => {
    const { handler, upstream } = recorded()
    const response =
      typeof request === 'string'
        ? await handler(new Request(`${APP}/api/genimage/x`), { path: request.slice('/api/genimage'.length) })
        : await handler(request)
    expect(response.status).toBe(status)
    expect(response.headers.get('content-type')).toMatch(/application\/json/)
    expect((await response.json()).detail).toEqual(expect.any(String))
    expect(upstream).not.toHaveBeenCalled()
  })

  it('says which methods a known route takes', async () => {
    const { handler } = recorded()
    const response = await handler(viaHeader(`${TARGET}/generate`))
    expect(response.headers.get('allow')).toBe('POST')
    expect((await response.json()).detail).toMatch(/use POST/)
  })

  it('answers 401 when authorize says no, and shows authorize the browser request', async () => {
    const authorize = vi.fn((request: Request) => request.headers.get('cookie') === 'session=valid')
    const { handler, upstream } = recorded({ authorize })
    const denied = await handler(viaHeader(`${TARGET}/generate`, { method: 'POST', body: '{}' }))
    expect(denied.status).toBe(401)
    expect((await denied.json()).detail).toMatch(/Not authorized/)
    expect(upstream).not.toHaveBeenCalled()
    const allowed = await handler(
      viaHeader(`${TARGET}/generate`, { method: 'POST', body: '{}', headers: { cookie: 'session=valid' } }),
    )
    expect(allowed.status).toBe(200)
    expect(authorize).toHaveBeenCalledTimes(2)
  })

  it('answers 500 without details when authorize throws', async () => {
    const spy = vi.spyOn(console, 'error').mockImplementation(() => {})
    const { handler, upstream } = recorded({
      authorize: () => {
        throw new Error('db down at 10.1.2.3')
      },
    })
    const response = await handler(viaHeader(`${TARGET}/generate`, { method: 'POST', body: '{}' }))
    expect(response.status).toBe(500)
    expect(await response.text()).not.toContain('10.1.2.3')
    expect(upstream).not.toHaveBeenCalled()
    spy.mockRestore()
  })

  it('answers 413 for a body over maxBodyBytes, declared or streamed', async () => {
    const { handler, upstream } = recorded({ maxBodyBytes: 1024 })
    const big = JSON.stringify({ prompt: 'x'.repeat(2000) })
    const declared = await handler(viaHeader(`${TARGET}/generate`, { method: 'POST', body: big }))
    expect(declared.status).toBe(413)
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let index = 0; index < 4; index++) controller.enqueue(new Uint8Array(400))
        controller.close()
      },
    })
    const streamed = await handler(
      viaHeader(`${TARGET}/generate`, { method: 'POST', body: stream, duplex: 'half' } as RequestInit),
    )
    expect(streamed.status).toBe(413)
    expect((await streamed.json()).detail).toMatch(/larger than 1024 bytes/)
    expect(upstream).not.toHaveBeenCalled()
    const small = await handler(viaHeader(`${TARGET}/generate`, { method: 'POST', body: '{"prompt":"ok"}' }))
    expect(small.status).toBe(200)
  })

  it('strips hop-by-hop and cookie headers from the answer, keeps the rest', async () => {
    const upstream = vi.fn<typeof fetch>(
      async () =>
        new Response('{}', {
          headers: {
            'content-type': 'application/json',
            'x-request-id': 'r1',
            'retry-after': '2',
            connection: 'keep-alive, x-internal',
            'keep-alive': 'timeout=5',
            'x-internal': 'node-7',
            'set-cookie': 'upstream=1',
          },
        }),
    )
    const handler = createProxyHandler({ targetUrl: TARGET, apiKey: KEY, authorize: () => true, fetch: upstream })
    const response = await handler(viaHeader(`${TARGET}/queue/requests/abc`))
    expect(Object.fromEntries(response.headers)).toEqual({
      'content-type': 'application/json',
      'x-request-id': 'r1',
      'retry-after': '2',
    })
  })

  it('answers 502 without internal details when the server is unreachable', async () => {
    const spy = vi.spyOn(console, 'error').mockImplementation(() => {})
    const handler = createProxyHandler({ targetUrl: 'http://127.0.0.1:1', apiKey: KEY, authorize: () => true })
    const response = await handler(viaHeader('http://127.0.0.1:1/generate', { method: 'POST', body: '{}' }))
    expect(response.status).toBe(502)
    const text = await everything(response)
    expect(text).toMatch(/unreachable/)
    expect(text).not.toContain('127.0.0.1')
    expect(text).not.toContain(KEY)
    spy.mockRestore()
  })
})

describe('createProxyHandler against a mock genimage server that requires a key', () => {
  let upstream: MockHttpServer
  beforeAll(async () => {
    upstream = await startUpstream()
  })
  afterAll(() => upstream.close())

  const proxied = () => {
    const handler = createProxyHandler({ targetUrl: upstream.url, apiKey: KEY, authorize: () => true })
    const responses: Response[] = []
    const fetchVia = (async (input: RequestInfo | URL, init?: RequestInit) => {
      const response = await handler(new Request(input, init))
      // A status stream's body is the server's events, relayed; a clone of it would outlive the client, which
      // leaves the stream at COMPLETED. Its status line and headers are checked.
      const stream = response.headers.get('content-type')?.startsWith('text/event-stream')
      responses.push(stream ? new Response(null, response) : response.clone())
      return response
    }) as typeof fetch
    return { handler, responses, client: clientThrough(upstream.url, `${APP}/api/genimage`, fetchVia) }
  }

  it('the server refuses a browser that calls it directly without the key', async () => {
    const direct = createClient({ baseUrl: upstream.url, retry: false })
    await expect(direct.generate({ prompt: 'no key' })).rejects.toBeInstanceOf(AuthenticationError)
  })

  it('the client with proxyUrl generates through the proxy, and no answer contains the key', async () => {
    const { client, responses } = proxied()
    const result = await client.generate({ prompt: 'a fox through the proxy', width: 320, height: 256 })
    expect(result.image).toMatchObject({ width: 320, height: 256, content_type: 'image/png' })
    const queued = await client.subscribe({ prompt: 'queued through the proxy', num_inference_steps: 3 })
    expect(queued.image.width).toBe(512)
    expect(responses.length).toBeGreaterThanOrEqual(4)
    for (const response of responses) expect(await everything(response)).not.toContain(KEY)
  })

  it('serves the generated image through the proxy path, for <img src>', async () => {
    const { client, handler } = proxied()
    const { image } = await client.generate({ prompt: 'an image to show' })
    const key = new URL(image.url).pathname.split('/').pop()
    const response = await handler(new Request(`${APP}/api/genimage/files/${key}`))
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('image/png')
    const bytes = new Uint8Array(await response.arrayBuffer())
    expect([...bytes.subarray(1, 4)]).toEqual([0x50, 0x4e, 0x47])
  })
})

describe('createProxyHandler streams server-sent events', () => {
  let upstream: MockHttpServer
  beforeAll(async () => {
    upstream = await startUpstream({ mode: 'manual' })
  })
  afterAll(() => upstream.close())

  it('delivers each status as it happens, not when the stream ends', async () => {
    const handler = createProxyHandler({ targetUrl: upstream.url, apiKey: KEY, authorize: () => true })
    const submitted = await handler(
      viaHeader(`${upstream.url}/queue/generate`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ prompt: 'streamed', num_inference_steps: 2 }),
      }),
    )
    expect(submitted.status).toBe(202)
    const { request_id } = await submitted.json()
    const stream = await handler(
      viaHeader(`${upstream.url}/queue/requests/${request_id}/status/stream`, {
        headers: { accept: 'text/event-stream' },
      }),
    )
    expect(stream.headers.get('content-type')).toMatch(/text\/event-stream/)
    const events = eventReader(stream)
    // The job is held before its first step: the proxy must hand over this event while the stream is still open.
    await upstream.genimage.controls.waitForHeld()
    const first = await events.next()
    expect(['IN_QUEUE', 'IN_PROGRESS']).toContain(first.status)
    await upstream.genimage.controls.finish()
    let last = first
    while (last.status !== 'COMPLETED') last = await events.next()
    expect(last.status).toBe('COMPLETED')
    await events.cancel()
  })

  it('the client with proxyUrl reports every step of a queued generation', async () => {
    const handler = createProxyHandler({ targetUrl: upstream.url, apiKey: KEY, authorize: () => true })
    const client = clientThrough(upstream.url, `${APP}/api/genimage`, (input, init) =>
      handler(new Request(input, init)),
    )
    const steps: number[] = []
    let following!: () => void
    const followed = new Promise<void>((resolve) => {
      following = resolve
    })
    const result = client.subscribe(
      { prompt: 'step by step', num_inference_steps: 3 },
      { onQueueUpdate: () => following(), onProgress: ({ step }) => steps.push(step) },
    )
    await followed
    for (let step = 0; step < 3; step++) await upstream.genimage.controls.step()
    expect((await result).image.width).toBe(512)
    expect(steps.filter((step) => step > 0)).toEqual([1, 2, 3])
  })
})

describe('createProxyHandler: CORS is the proxy’s decision', () => {
  const upstreamWithCors = () =>
    vi.fn<typeof fetch>(
      async () =>
        new Response('{}', {
          headers: {
            'content-type': 'application/json',
            'access-control-allow-origin': '*',
            'access-control-expose-headers': 'x-request-id',
            'access-control-allow-credentials': 'true',
          },
        }),
    )

  it('drops the server’s CORS headers and adds none of its own without allowedOrigins', async () => {
    const handler = createProxyHandler({
      targetUrl: TARGET,
      apiKey: KEY,
      authorize: () => true,
      fetch: upstreamWithCors(),
    })
    const response = await handler(
      viaHeader(`${TARGET}/queue/requests/abc`, { headers: { origin: 'https://evil.example' } }),
    )
    expect(response.status).toBe(200)
    expect([...response.headers.keys()].filter((name) => name.startsWith('access-control-'))).toEqual([])
  })

  it('answers CORS for the origins it allows, one by one, and for no other', async () => {
    const upstream = upstreamWithCors()
    const handler = createProxyHandler({
      targetUrl: TARGET,
      apiKey: KEY,
      authorize: () => true,
      fetch: upstream,
      allowedOrigins: ['https://app.example'],
    })
    const preflight = await handler(
      viaHeader(`${TARGET}/generate`, {
        method: 'OPTIONS',
        headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' },
      }),
    )
    expect(preflight.status).toBe(204)
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://app.example')
    expect(preflight.headers.get('access-control-allow-headers')).toContain('x-genimage-target-url')
    expect(upstream).not.toHaveBeenCalled()

    const allowed = await handler(
      viaHeader(`${TARGET}/queue/requests/abc`, { headers: { origin: 'https://app.example' } }),
    )
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example')
    expect(allowed.headers.get('access-control-allow-credentials')).toBe('true')
    expect(allowed.headers.get('vary')).toMatch(/origin/i)

    const other = await handler(
      viaHeader(`${TARGET}/queue/requests/abc`, { headers: { origin: 'https://evil.example' } }),
    )
    expect(other.headers.get('access-control-allow-origin')).toBeNull()
    const otherPreflight = await handler(
      viaHeader(`${TARGET}/generate`, {
        method: 'OPTIONS',
        headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
      }),
    )
    expect(otherPreflight.status).toBe(405)
  })

  it.each([['*'], ['https://app.example/'], ['app.example']])('refuses allowedOrigins %j', (origin) => {
    expect(() =>
      createProxyHandler({ targetUrl: TARGET, apiKey: KEY, authorize: () => true, allowedOrigins: [origin] }),
    ).toThrow(/allowedOrigins must list origins/)
  })
})

describe('createProxyHandler: an upstream that redirects', () => {
  const servers: Server[] = []
  const listen = async (handler: (request: IncomingMessage, response: ServerResponse) => void): Promise<string> => {
    const server = createServer(handler)
    servers.push(server)
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  }
  afterAll(async () => {
    for (const server of servers) {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    }
  })

  it('does not follow a 302 to another origin: the key never reaches it, the browser gets 502', async () => {
    const reached: { url?: string; authorization?: string }[] = []
    const elsewhere = await listen((request, response) => {
      reached.push({ url: request.url, authorization: request.headers.authorization })
      response.end('{"images":"from elsewhere"}')
    })
    const redirecting = await listen((_request, response) => {
      response.writeHead(302, { location: `${elsewhere}/generate` }).end()
    })
    const spy = vi.spyOn(console, 'error').mockImplementation(() => {})
    const handler = createProxyHandler({ targetUrl: redirecting, apiKey: KEY, authorize: () => true })
    const response = await handler(viaHeader(`${redirecting}/generate`, { method: 'POST', body: '{"prompt":"x"}' }))
    expect(response.status).toBe(502)
    expect(response.headers.get('location')).toBeNull()
    const text = await everything(response)
    expect(text).not.toContain(KEY)
    expect(text).not.toContain(elsewhere)
    expect(reached).toEqual([])
    spy.mockRestore()
  })
})

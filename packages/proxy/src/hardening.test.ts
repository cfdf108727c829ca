import { Hono } from 'hono'
import { describe, expect, it, vi } from 'vitest'
import { createProxyHandler } from './handler.js'
import { createHonoProxy } from './hono.js'
import type { ProxyOptions } from './options.js'
import { KEY } from './test-helpers.js'

const TARGET = 'http://genimage.internal:8787'
const APP = 'http://app.example/api/genimage'

/** A proxy over a fake upstream that answers `answer()` and records what it was sent. */
const proxyOver = (
  answer: (init: RequestInit) => Response | Promise<Response>,
  options: Partial<ProxyOptions> = {},
) => {
  const upstream = vi.fn<typeof fetch>(async (_url, init) => answer(init ?? {}))
  const handler = createProxyHandler({
    targetUrl: TARGET,
    apiKey: KEY,
    authorize: () => true,
    fetch: upstream,
    ...options,
  })
  return { handler, upstream }
}

const ok = () => Response.json({ ok: true })

/** A request body that arrives in the given chunks (no Content-Length), as a browser's streamed upload does. */
const streamed = (chunks: Uint8Array[], fail?: Error): ReadableStream<Uint8Array> =>
  new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk)
      if (fail) controller.error(fail)
      else controller.close()
    },
  })

const post = (body: BodyInit | null, headers: Record<string, string> = {}) =>
  new Request(`${APP}/generate`, { method: 'POST', body, headers, duplex: 'half' } as RequestInit)

describe('methods: only GET, POST and PUT are proxied', () => {
  it.each(['DELETE', 'PATCH', 'OPTIONS', 'TRACE', 'HEAD'])(
    '%s gets a 405 with Allow: GET, POST, PUT and never reaches the server',
    async (method) => {
      const { handler, upstream } = proxyOver(ok)
      // OPTIONS without Origin is not a CORS preflight; TRACE and HEAD cannot be built by the Request constructor.
      const request =
        method === 'TRACE' || method === 'HEAD'
          ? ({
              method,
              url: `${APP}/generate`,
              headers: new Headers(),
              signal: new AbortController().signal,
            } as Request)
          : new Request(`${APP}/generate`, { method })
      const response = await handler(request)
      expect(response.status).toBe(405)
      expect(response.headers.get('allow')).toBe('GET, POST, PUT')
      expect(response.headers.get('cache-control')).toBe('no-store')
      expect((await response.json()).detail).toBe(`${method} is not proxied; use GET, POST or PUT`)
      expect(upstream).not.toHaveBeenCalled()
    },
  )

  it('forwards each of GET, POST and PUT on its route', async () => {
    const { handler, upstream } = proxyOver(ok)
    expect((await handler(new Request(`${APP}/queue/requests/abc/status`))).status).toBe(200)
    expect((await handler(post('{"prompt":"x"}'))).status).toBe(200)
    expect((await handler(new Request(`${APP}/queue/requests/abc/cancel`, { method: 'PUT' }))).status).toBe(200)
    expect(upstream.mock.calls.map(([url, init]) => `${init?.method} ${url}`)).toEqual([
      `GET ${TARGET}/queue/requests/abc/status`,
      `POST ${TARGET}/generate`,
      `PUT ${TARGET}/queue/requests/abc/cancel`,
    ])
  })
})

describe('response headers: hop-by-hop and framing headers stay on the upstream hop', () => {
  const HOP_BY_HOP = [
    'keep-alive',
    'proxy-authenticate',
    'proxy-authorization',
    'proxy-connection',
    'te',
    'trailer',
    'transfer-encoding',
    'upgrade',
    'content-encoding',
    'content-length',
  ]

  it.each(HOP_BY_HOP)('drops %s and keeps the end-to-end headers', async (name) => {
    const upstreamHeaders = new Headers({ 'content-type': 'application/json', 'x-request-id': 'r-1' })
    upstreamHeaders.set(name, name === 'content-length' ? '11' : 'x')
    const { handler } = proxyOver(() => new Response('{"ok":true}', { headers: upstreamHeaders }))
    const response = await handler(new Request(`${APP}/queue/requests/abc/status`))
    expect(response.status).toBe(200)
    expect(response.headers.get(name)).toBeNull()
    expect(response.headers.get('x-request-id')).toBe('r-1')
    expect(await response.json()).toEqual({ ok: true })
  })

  it('drops Connection and every header it names (any case, with spaces), but not others', async () => {
    const { handler } = proxyOver(
      () =>
        new Response('{}', {
          headers: {
            connection: 'close, X-Internal-Route ,,x-debug',
            'x-internal-route': 'node-7',
            'x-debug': 'on',
            'x-request-id': 'r-2',
          },
        }),
    )
    const response = await handler(new Request(`${APP}/queue/requests/abc/status`))
    expect(response.headers.get('connection')).toBeNull()
    expect(response.headers.get('x-internal-route')).toBeNull()
    expect(response.headers.get('x-debug')).toBeNull()
    expect(response.headers.get('x-request-id')).toBe('r-2')
  })

  it('drops the upstream’s cookies and CORS headers', async () => {
    const { handler } = proxyOver(
      () =>
        new Response('{}', {
          headers: {
            'set-cookie': 'session=upstream',
            'access-control-allow-origin': '*',
            'access-control-expose-headers': 'x-request-id',
            'x-request-id': 'r-3',
          },
        }),
    )
    const response = await handler(new Request(`${APP}/queue/requests/abc/status`))
    expect(response.headers.get('set-cookie')).toBeNull()
    expect(response.headers.get('access-control-allow-origin')).toBeNull()
    expect(response.headers.get('access-control-expose-headers')).toBeNull()
    expect(response.headers.get('x-request-id')).toBe('r-3')
  })

  it('passes the upstream status and status text through', async () => {
    const { handler } = proxyOver(() => Response.json({ detail: 'busy' }, { status: 429, statusText: 'Slow Down' }))
    const response = await handler(new Request(`${APP}/queue/requests/abc/status`))
    expect([response.status, response.statusText]).toEqual([429, 'Slow Down'])
    expect(await response.json()).toEqual({ detail: 'busy' })
  })
})

describe('upstream statuses and Vary', () => {
  it('passes a 400 through and refuses any 3xx, 300 included, with a 502', async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {})
    const bad = proxyOver(() => Response.json({ detail: 'bad seed' }, { status: 400 }))
    const response = await bad.handler(new Request(`${APP}/queue/requests/abc/status`))
    expect(response.status).toBe(400)
    expect(await response.json()).toEqual({ detail: 'bad seed' })
    const choices = proxyOver(() => new Response(null, { status: 300, headers: { location: 'http://evil.example/' } }))
    const redirected = await choices.handler(new Request(`${APP}/queue/requests/abc/status`))
    expect(redirected.status).toBe(502)
    expect(redirected.headers.get('location')).toBeNull()
    error.mockRestore()
  })

  it('keeps the upstream’s Vary and adds Origin for an allowed origin', async () => {
    const { handler } = proxyOver(() => new Response('{}', { headers: { vary: 'accept-encoding' } }), {
      allowedOrigins: ['https://app.example'],
    })
    const response = await handler(
      new Request(`${APP}/queue/requests/abc/status`, { headers: { origin: 'https://app.example' } }),
    )
    expect(response.headers.get('vary')).toBe('accept-encoding, origin')
    expect(response.headers.get('access-control-allow-origin')).toBe('https://app.example')
  })
})

describe('request bodies: capped, read whole, errors answered', () => {
  it('refuses a declared Content-Length over maxBodyBytes with 413 before reading, and accepts exactly the limit', async () => {
    const { handler, upstream } = proxyOver(ok, { maxBodyBytes: 16 })
    const over = await handler(post('{}', { 'content-length': '17' }))
    expect(over.status).toBe(413)
    expect((await over.json()).detail).toBe('Request body larger than 16 bytes')
    expect(over.headers.get('cache-control')).toBe('no-store')
    expect(upstream).not.toHaveBeenCalled()
    const body = '{"prompt":"1234"}'.slice(0, 16)
    const exact = await handler(post(body, { 'content-length': '16' }))
    expect(exact.status).toBe(200)
    expect(new TextDecoder().decode(upstream.mock.calls[0]![1]!.body as Uint8Array)).toBe(body)
  })

  it("by default forwards an image-to-image body with a 4 MiB picture, as the server's generate routes take", async () => {
    const { handler, upstream } = proxyOver(ok)
    const picture = 'A'.repeat(Math.ceil((4 / 3) * 4 * 1024 * 1024))
    const body = JSON.stringify({ prompt: 'a fox', image_url: `data:image/png;base64,${picture}` })
    expect((await handler(post(body))).status).toBe(200)
    expect(upstream).toHaveBeenCalledTimes(1)
    const over = await handler(post('x'.repeat(65_536 + picture.length + 1)))
    expect(over.status).toBe(413)
    expect(upstream).toHaveBeenCalledTimes(1)
  })

  it('counts streamed bytes: one byte over the limit is a 413, the limit itself passes in order', async () => {
    const { handler, upstream } = proxyOver(ok, { maxBodyBytes: 8 })
    const bytes = (text: string) => new TextEncoder().encode(text)
    const over = await handler(post(streamed([bytes('1234'), bytes('56789')])))
    expect(over.status).toBe(413)
    expect(upstream).not.toHaveBeenCalled()
    const exact = await handler(post(streamed([bytes('abc'), bytes('de'), bytes('fgh')])))
    expect(exact.status).toBe(200)
    expect(new TextDecoder().decode(upstream.mock.calls[0]![1]!.body as Uint8Array)).toBe('abcdefgh')
  })

  it('sends no body when the browser sent an empty one', async () => {
    const { handler, upstream } = proxyOver(ok)
    expect((await handler(post(streamed([])))).status).toBe(200)
    expect(upstream.mock.calls[0]![1]!.body).toBeUndefined()
  })

  it('answers 400 when the browser’s upload breaks off, without calling the server', async () => {
    const { handler, upstream } = proxyOver(ok)
    const response = await handler(post(streamed([new TextEncoder().encode('{"pro')], new Error('socket hang up'))))
    expect(response.status).toBe(400)
    expect((await response.json()).detail).toBe('Could not read the request body')
    expect(upstream).not.toHaveBeenCalled()
  })
})

describe('upstream failures', () => {
  it('answers 499 when the browser hung up while the server was being called', async () => {
    const browser = new AbortController()
    const { handler } = proxyOver(
      (init) =>
        new Promise<Response>((_resolve, reject) => {
          init.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')))
          browser.abort()
        }),
    )
    const response = await handler(new Request(`${APP}/queue/requests/abc/status`, { signal: browser.signal }))
    expect(response.status).toBe(499)
    expect((await response.json()).detail).toBe('The browser closed the request')
  })

  it('answers 502 with no internal detail when the server is unreachable and the browser is still there', async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {})
    const { handler } = proxyOver(() => Promise.reject(new TypeError('connect ECONNREFUSED 10.0.0.7:8787')))
    const response = await handler(new Request(`${APP}/queue/requests/abc/status`))
    expect(response.status).toBe(502)
    const text = await response.text()
    expect(text).toContain('The genimage server is unreachable; try again later')
    expect(text).not.toContain('10.0.0.7')
    expect(String(error.mock.calls[0]?.[0])).toContain(TARGET)
    error.mockRestore()
  })
})

describe('createHonoProxy: the mount point comes from the route', () => {
  const honoApp = (route: string, options: Partial<ProxyOptions> = {}) => {
    const upstream = vi.fn<typeof fetch>(async () => ok())
    const app = new Hono()
    app.all(
      route,
      createHonoProxy({ targetUrl: TARGET, apiKey: KEY, authorize: () => true, fetch: upstream, ...options }),
    )
    return { app, upstream }
  }

  it('forwards the path after any wildcard mount point, with its query, without mountPath', async () => {
    const { app, upstream } = honoApp('/v1/images/*')
    const response = await app.request('http://app.example/v1/images/queue/requests/abc/status?logs=1')
    expect(response.status).toBe(200)
    expect(String(upstream.mock.calls[0]![0])).toBe(`${TARGET}/queue/requests/abc/status?logs=1`)
  })

  it('treats the bare mount point as the root path, which is not proxied', async () => {
    const { app, upstream } = honoApp('/v1/images/*')
    const response = await app.request('http://app.example/v1/images')
    expect(response.status).toBe(404)
    expect((await response.json()).detail).toBe(
      '/ is not proxied: only the generate, queue and file routes of genimage are',
    )
    expect(upstream).not.toHaveBeenCalled()
  })

  it('falls back to mountPath for routes with parameters or without a wildcard', async () => {
    const withParam = honoApp('/:tenant/images/*', { mountPath: '/acme/images' })
    expect((await withParam.app.request('http://app.example/acme/images/queue/requests/abc/status')).status).toBe(200)
    expect(String(withParam.upstream.mock.calls[0]![0])).toBe(`${TARGET}/queue/requests/abc/status`)
    const other = await withParam.app.request('http://app.example/other/images/queue/requests/abc/status')
    expect(other.status).toBe(404)
    expect((await other.json()).detail).toMatch(/^Not a genimage proxy path: \/other\/images/)
    const exact = honoApp('/v1/images/generate', { mountPath: '/v1/images' })
    const response = await exact.app.request('http://app.example/v1/images/generate', { method: 'POST', body: '{}' })
    expect(response.status).toBe(200)
    expect(String(exact.upstream.mock.calls[0]![0])).toBe(`${TARGET}/generate`)
  })
})

import { corsHeaders, preflightResponse } from './cors.js'
import { type ProxyOptions, type ResolvedProxyOptions, resolveProxyOptions } from './options.js'
import { resolveTarget } from './target.js'

/**
 * Per-request information an adapter knows better than the URL does.
 * @example handler(request, { path: '/generate' })
 */
export interface ProxyRequestContext {
  /**
   * The genimage path of the request, after the proxy's mount point (`/queue/requests/abc/status`). Used when the
   * request has no `x-genimage-target-url` header.
   * @default the request path minus `mountPath`
   */
  path?: string
}

/**
 * A proxy as a WHATWG handler: takes the browser's `Request`, answers a `Response` (never throws).
 * @example const response = await handler(new Request('http://app/api/genimage', { method: 'POST', … }))
 */
export type ProxyHandler = (request: Request, context?: ProxyRequestContext) => Promise<Response>

const METHODS = new Set(['GET', 'POST', 'PUT'])
// RFC 9110 §7.6.1 hop-by-hop headers, plus the body framing that `fetch` already undid (it decodes the body).
const HOP_BY_HOP = new Set([
  'connection',
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
])

const problem = (status: number, detail: string, headers: Record<string, string> = {}): Response =>
  Response.json({ detail }, { status, headers: { 'cache-control': 'no-store', ...headers } })

const requestHeaders = (incoming: Headers, options: ResolvedProxyOptions): Headers => {
  const headers = new Headers()
  incoming.forEach((value, name) => {
    if (options.allowedHeaders.has(name)) headers.set(name, value)
  })
  headers.set('authorization', options.authorization)
  return headers
}

/** Upstream headers that never pass: CORS is the proxy's decision (`allowedOrigins`), not the server's. */
const isCorsHeader = (name: string): boolean => name.startsWith('access-control-')

const responseHeaders = (incoming: Headers): Headers => {
  const listed = new Set(
    (incoming.get('connection') ?? '')
      .split(',')
      .map((name) => name.trim().toLowerCase())
      .filter(Boolean),
  )
  const headers = new Headers()
  incoming.forEach((value, name) => {
    if (!HOP_BY_HOP.has(name) && !listed.has(name) && name !== 'set-cookie' && !isCorsHeader(name)) {
      headers.append(name, value)
    }
  })
  return headers
}

/** Reads at most `max` bytes of the body; `null` when it is bigger. */
const readBody = async (request: Request, max: number): Promise<Uint8Array | undefined | null> => {
  const declared = Number(request.headers.get('content-length'))
  if (declared > max) return null
  if (!request.body) return undefined
  const reader = request.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > max) {
      // Not awaited: cancelling one branch of a tee'd (cloned) body settles only when the other branch does.
      void reader.cancel().catch(() => {})
      return null
    }
    chunks.push(value)
  }
  if (size === 0) return undefined
  const body = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    body.set(chunk, offset)
    offset += chunk.byteLength
  }
  return body
}

/**
 * Creates the key-safe proxy: forwards a browser's genimage calls to `targetUrl` with `Authorization: Key <apiKey>`
 * added server-side. Closed by default: `authorize` is required (or `allowUnauthenticated: true`), only the generate,
 * queue and file routes under `targetUrl` are forwarded (403 for other hosts and `..`, 404 for other paths, 405 for
 * other methods), request headers pass through an allowlist, bodies are capped (413), and SSE streams through.
 * Errors are JSON `{ detail }`. Throws a `TypeError` at once when the options are unsafe or invalid.
 * @example
 * const proxy = createProxyHandler({ targetUrl: 'http://localhost:8787', apiKey: process.env.GENIMAGE_API_KEY!, authorize: isSignedIn })
 * const response = await proxy(request)
 */
export function createProxyHandler(options: ProxyOptions): ProxyHandler {
  const config = resolveProxyOptions(options)
  const answer = forward(config)
  return async (request, context = {}) => {
    const preflight = preflightResponse(request, config)
    if (preflight) return preflight
    const response = await answer(request, context)
    for (const [name, value] of Object.entries(corsHeaders(request, config))) {
      if (name === 'vary') response.headers.append(name, value)
      else response.headers.set(name, value)
    }
    return response
  }
}

/** The proxy without CORS: authorizes, resolves the target and forwards. */
const forward = (config: ResolvedProxyOptions): ProxyHandler => {
  return async (request, context = {}) => {
    if (!METHODS.has(request.method)) {
      return problem(405, `${request.method} is not proxied; use GET, POST or PUT`, { allow: 'GET, POST, PUT' })
    }
    try {
      // Authorize before anything else, so an unauthorized caller learns nothing about what is forwarded.
      if (config.authorize && (await config.authorize(request)) !== true) {
        return problem(401, 'Not authorized to use the genimage proxy: sign in first')
      }
    } catch (error) {
      console.error('@genimage/proxy: authorize threw', error)
      return problem(500, 'The genimage proxy could not check authorization')
    }
    const target = resolveTarget(request, config, context.path)
    if ('status' in target) return problem(target.status, target.detail, target.headers)
    let body: Uint8Array | undefined | null
    if (request.method !== 'GET') {
      try {
        body = await readBody(request, config.maxBodyBytes)
      } catch {
        return problem(400, 'Could not read the request body')
      }
      if (body === null) return problem(413, `Request body larger than ${config.maxBodyBytes} bytes`)
    }
    let upstream: Response
    try {
      const fetchNow = config.fetch ?? globalThis.fetch
      upstream = await fetchNow(target.url, {
        method: request.method,
        headers: requestHeaders(request.headers, config),
        body: body as BodyInit | undefined,
        signal: request.signal,
        // Never follow a redirect: it could carry the key to another host.
        redirect: 'manual',
      })
    } catch (error) {
      if (request.signal?.aborted) return problem(499, 'The browser closed the request')
      // The details (internal host, errno) go to the server log, not to the browser.
      console.error(`@genimage/proxy: ${target.route} to ${config.target.origin} failed`, error)
      return problem(502, 'The genimage server is unreachable; try again later')
    }
    if (upstream.status >= 300 && upstream.status < 400) {
      // genimage never redirects: a redirect is a misconfigured or hostile upstream. Not followed, not passed on.
      void upstream.body?.cancel().catch(() => {})
      console.error(
        `@genimage/proxy: ${target.route} to ${config.target.origin} answered a ${upstream.status} redirect`,
      )
      return problem(502, 'The genimage server answered with a redirect, which the proxy does not follow')
    }
    return new Response(upstream.body, {
      status: upstream.status,
      statusText: upstream.statusText,
      headers: responseHeaders(upstream.headers),
    })
  }
}

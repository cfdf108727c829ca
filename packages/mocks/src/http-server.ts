import { readFile } from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createRequire } from 'node:module'
import type { AddressInfo } from 'node:net'
import { HttpProblem } from '@genimage/core'
import { getResponse } from 'msw'
import type { MockControls } from './controls.js'
import { createGenimageMock, type GenimageMock, type GenimageMockOptions } from './mock.js'

/** Options of {@link startMockHttpServer}. */
export interface MockHttpServerOptions extends Omit<GenimageMockOptions, 'baseUrl'> {
  /** Port to listen on; 0 picks a free one. @default 8787 */
  port?: number
  /** Interface to bind. @default '127.0.0.1' */
  host?: string
}

/** A running mock HTTP server. */
export interface MockHttpServer {
  /** `http://host:port`, the base URL to give the client. */
  readonly url: string
  /** The mock behind the server (controls, scenarios, reset). */
  readonly genimage: GenimageMock
  /** Stops listening and closes open connections. */
  close(): Promise<void>
}

/** Methods `fetch` cannot represent (a `Request` refuses them); the API answers them 405 like any unknown method. */
const FORBIDDEN_METHODS = new Set(['CONNECT', 'TRACE', 'TRACK'])
/** Every method some route of the API answers (the `Allow` of a 405 for an unknown method, as the server sends). */
const API_METHODS = 'GET, HEAD, OPTIONS, POST, PUT'
const CLOSED_MID_UPLOAD = 'The client closed the request before sending its whole body'
/** A body the app did not read is read off up to this size, so the connection can serve its next request. */
const MAX_DRAIN_BYTES = 8 * 1024 * 1024
/** …and within this time; past either, the connection is closed. */
const DRAIN_TIMEOUT_MS = 5000

/**
 * The request body as a web stream that reads only when pulled. Cancelling it (the app answered 413 early) stops
 * the reading without destroying the socket: {@link readOff} then reads the rest off or closes the connection.
 */
const bodyOf = (incoming: IncomingMessage): ReadableStream<Uint8Array> => {
  let cancelled = false
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        incoming.pause()
        incoming.on('data', (chunk: Buffer) => {
          if (cancelled) return
          controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength))
          if ((controller.desiredSize ?? 0) <= 0) incoming.pause()
        })
        incoming.once('end', () => !cancelled && controller.close())
        // A caller hanging up mid-upload is a normal event: a 499 problem, which the app answers without logging.
        incoming.once('error', () => !cancelled && controller.error(new HttpProblem(499, CLOSED_MID_UPLOAD)))
      },
      pull() {
        incoming.resume()
      },
      cancel() {
        cancelled = true
        incoming.pause()
      },
    },
    { highWaterMark: 65_536, size: (chunk) => chunk.byteLength },
  )
}

/** After the answer: reads off what is left of the body (so keep-alive goes on), or closes the connection. */
const readOff = (incoming: IncomingMessage): void => {
  if (incoming.complete || incoming.destroyed) return
  let drained = 0
  const close = (): void => {
    clearTimeout(timer)
    incoming.socket?.destroySoon()
  }
  const timer = setTimeout(close, DRAIN_TIMEOUT_MS)
  timer.unref()
  // The body stream stops listening: it would pause the socket again once its queue is full.
  incoming.removeAllListeners('data')
  incoming.on('data', (chunk: Buffer) => {
    drained += chunk.byteLength
    if (drained > MAX_DRAIN_BYTES) close()
  })
  incoming.once('end', () => clearTimeout(timer))
  incoming.resume()
}

const toRequest = (incoming: IncomingMessage, origin: string): Request => {
  const headers = new Headers()
  for (const [name, value] of Object.entries(incoming.headers)) {
    if (Array.isArray(value)) for (const item of value) headers.append(name, item)
    else if (value !== undefined) headers.set(name, value)
  }
  const controller = new AbortController()
  incoming.once('close', () => {
    if (!incoming.complete) controller.abort()
  })
  const method = incoming.method ?? 'GET'
  const hasBody = method !== 'GET' && method !== 'HEAD'
  return new Request(new URL(incoming.url ?? '/', origin), {
    method,
    headers,
    signal: controller.signal,
    body: hasBody ? bodyOf(incoming) : undefined,
    duplex: hasBody ? 'half' : undefined,
  } as RequestInit)
}

/** A request that `fetch` cannot represent: a forbidden method (405) or a target that is no URL (400). */
const unrepresentable = (incoming: IncomingMessage): Response =>
  FORBIDDEN_METHODS.has(incoming.method ?? '')
    ? Response.json(
        { detail: `Method ${incoming.method} is not allowed; allowed: ${API_METHODS}` },
        { status: 405, headers: { allow: API_METHODS } },
      )
    : Response.json({ detail: `Bad request target: ${JSON.stringify(incoming.url)}` }, { status: 400 })

/**
 * The step controls over HTTP, for callers outside the test process (`genimage-mock --mode manual`):
 * `GET /__mock/held`, `POST /__mock/step` (409 when no job waits at a step) and `POST /__mock/finish`.
 */
const controlRoute = async (controls: MockControls, request: Request): Promise<Response | undefined> => {
  const route = `${request.method} ${new URL(request.url).pathname}`
  if (route === 'GET /__mock/held') return Response.json({ held: controls.held() })
  if (route === 'POST /__mock/finish') {
    await controls.finish()
    return Response.json({ held: controls.held() })
  }
  if (route !== 'POST /__mock/step') return undefined
  if (controls.held().length === 0) {
    return Response.json(
      { detail: 'No generation is waiting at a step (is the mock in manual mode?)' },
      { status: 409 },
    )
  }
  await controls.step()
  return Response.json({ held: controls.held() })
}

/**
 * `GET /docs/scalar.js`: Scalar's standalone bundle from the installed `@scalar/api-reference` (an optional peer),
 * which turns `/docs` into an interactive reference with "try it" against this server; 404 when it is not installed,
 * and `/docs` stays the static reference.
 */
const scalarScript = async (request: Request): Promise<Response | undefined> => {
  if (request.method !== 'GET' || new URL(request.url).pathname !== '/docs/scalar.js') return undefined
  try {
    const path = createRequire(import.meta.url).resolve('@scalar/api-reference/browser/standalone.js')
    return new Response(await readFile(path), {
      headers: { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'public, max-age=3600' },
    })
  } catch {
    return Response.json({ detail: 'Install @scalar/api-reference for the interactive /docs' }, { status: 404 })
  }
}

const send = async (response: Response, outgoing: ServerResponse): Promise<void> => {
  outgoing.writeHead(response.status, Object.fromEntries(response.headers))
  if (!response.body) {
    outgoing.end()
    return
  }
  const reader = response.body.getReader()
  outgoing.once('close', () => void reader.cancel().catch(() => {}))
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    outgoing.write(value)
  }
  outgoing.end()
}

/**
 * Serves the mocked genimage API over real HTTP (what `genimage-mock` runs), for apps and tools outside the test process.
 * @example
 * const mock = await startMockHttpServer({ port: 0 })
 * const client = createClient({ baseUrl: mock.url })
 */
export async function startMockHttpServer(options: MockHttpServerOptions = {}): Promise<MockHttpServer> {
  const { port = 8787, host = '127.0.0.1', ...mockOptions } = options
  const server: Server = createServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => resolve())
  })
  const address = server.address() as AddressInfo
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`
  const genimage = createGenimageMock({ ...mockOptions, baseUrl: url })
  server.on('request', (incoming: IncomingMessage, outgoing: ServerResponse) => {
    outgoing.once('finish', () => readOff(incoming))
    void (async () => {
      try {
        let request: Request
        try {
          // Requests are answered as if addressed to `url`, whatever Host header the caller used.
          request = toRequest(incoming, url)
        } catch {
          await send(unrepresentable(incoming), outgoing)
          return
        }
        const response =
          (await controlRoute(genimage.controls, request)) ??
          (await scalarScript(request)) ??
          (await getResponse(genimage.handlers, request)) ??
          (await genimage.fetch(request))
        await send(response, outgoing)
      } catch (error) {
        if (!outgoing.headersSent) outgoing.writeHead(500, { 'content-type': 'application/json' })
        outgoing.end(JSON.stringify({ detail: `Mock server error: ${(error as Error).message}` }))
      }
    })()
  })
  return {
    url,
    genimage,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections()
        server.close((error) => (error ? reject(error) : resolve()))
      }),
  }
}

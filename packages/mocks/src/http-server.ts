import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Readable } from 'node:stream'
import { getResponse } from 'msw'
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
    body: hasBody ? (Readable.toWeb(incoming) as ReadableStream<Uint8Array>) : undefined,
    duplex: hasBody ? 'half' : undefined,
  } as RequestInit)
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
    void (async () => {
      try {
        // Requests are answered as if addressed to `url`, whatever Host header the caller used.
        const response =
          (await getResponse(genimage.handlers, toRequest(incoming, url))) ??
          Response.json({ detail: `Not found: ${incoming.method} ${incoming.url}` }, { status: 404 })
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

/**
 * @genimage/proxy/express: the key-safe proxy as Express (or plain `node:http`) middleware, streaming both ways.
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { Readable } from 'node:stream'
import { createProxyHandler } from './handler.js'
import type { ProxyOptions } from './options.js'

/**
 * What the middleware reads of an Express request; a plain `IncomingMessage` fits too.
 * @example createExpressProxy(options)(req, res, next)
 */
export type ExpressRequestLike = IncomingMessage & {
  /** The URL before Express stripped the mount point. */
  originalUrl?: string
  /** The mount point (`/api/genimage` with `app.use('/api/genimage', …)`). */
  baseUrl?: string
  /** Set when a body parser (`express.json()`) already read the body. */
  body?: unknown
  /** `http` or `https` (Express, with `trust proxy`). */
  protocol?: string
}

/**
 * Express middleware: `(req, res, next)`; errors it cannot answer itself go to `next`.
 * @example app.use('/api/genimage', middleware)
 */
export type ExpressMiddleware = (req: ExpressRequestLike, res: ServerResponse, next: (error?: unknown) => void) => void

const toRequest = (req: ExpressRequestLike, signal: AbortSignal): Request => {
  const headers = new Headers()
  for (const [name, value] of Object.entries(req.headers)) {
    if (Array.isArray(value)) for (const item of value) headers.append(name, item)
    else if (value !== undefined) headers.set(name, value)
  }
  const url = new URL(
    req.originalUrl ?? req.url ?? '/',
    `${req.protocol ?? 'http'}://${req.headers.host ?? 'localhost'}`,
  )
  const method = req.method ?? 'GET'
  let body: BodyInit | undefined
  if (method !== 'GET' && method !== 'HEAD') {
    const parsed = req.body
    if (parsed !== undefined && (req.readableEnded || req.complete)) {
      // A body parser ran first: forward what it read.
      if (typeof parsed === 'string' || parsed instanceof Uint8Array) body = parsed as BodyInit
      else {
        body = JSON.stringify(parsed)
        headers.delete('content-length')
      }
    } else {
      body = Readable.toWeb(req) as ReadableStream<Uint8Array>
    }
  }
  return new Request(url, { method, headers, body, signal, duplex: 'half' } as RequestInit)
}

const send = async (response: Response, res: ServerResponse): Promise<void> => {
  res.statusCode = response.status
  response.headers.forEach((value, name) => {
    res.setHeader(name, value)
  })
  if (!response.body) {
    res.end()
    return
  }
  res.flushHeaders()
  const reader = response.body.getReader()
  res.once('close', () => void reader.cancel().catch(() => {}))
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    if (!res.write(value)) await new Promise<void>((resolve) => res.once('drain', resolve))
  }
  res.end()
}

/**
 * Express middleware for the key-safe proxy. Mount it with `app.use` so that Express strips the mount point; put it
 * before `express.json()` or after, both work.
 * @example
 * app.use('/api/genimage', createExpressProxy({ targetUrl, apiKey, authorize: (request) => hasSession(request) }))
 */
export function createExpressProxy(options: ProxyOptions): ExpressMiddleware {
  const handler = createProxyHandler(options)
  return (req, res, next) => {
    const controller = new AbortController()
    res.once('close', () => {
      if (!res.writableFinished) controller.abort()
    })
    const mounted = req.baseUrl !== undefined && req.baseUrl !== '' && req.url !== undefined
    const path = mounted ? req.url!.split('?')[0] : undefined
    void (async () => {
      let request: Request
      try {
        request = toRequest(req, controller.signal)
      } catch {
        // `Host: a b` and the like make no URL: the caller's mistake, not the proxy's.
        await send(
          Response.json({ detail: 'Bad request: the Host header or the URL is not valid' }, { status: 400 }),
          res,
        )
        return
      }
      await send(await handler(request, { path }), res)
    })().catch((error: unknown) => {
      if (!res.headersSent) next(error)
      else res.destroy(error as Error)
    })
  }
}

export type { ProxyOptions } from './options.js'

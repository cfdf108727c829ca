import { Hono, type MiddlewareHandler } from 'hono'
import { cors } from 'hono/cors'
import { describe, expect, it } from 'vitest'
import { type CorsOptions, createCors } from './cors.js'

const OPTIONS: Omit<CorsOptions, 'origin'> = {
  allowHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'x-request-id'],
  allowMethods: ['GET', 'POST', 'PUT', 'OPTIONS'],
  exposeHeaders: ['x-request-id', 'x-fal-request-id', 'Retry-After'],
  maxAge: 600,
}

/** An app shaped as createApp's: a header set after the handler, then CORS, then a check that may throw. */
function appWith(middleware: MiddlewareHandler): Hono {
  const app = new Hono()
  app.use('*', async (c, next) => {
    await next()
    c.res.headers.set('x-request-id', 'req-1')
  })
  app.use('*', middleware)
  app.use('*', async (c, next) => {
    if (c.req.path === '/blocked') throw new Error('blocked')
    await next()
  })
  app.get('/json', (c) => c.json({ a: 1 }, 200, { 'x-fal-request-id': 'job-1' }))
  app.get('/plain', (c) => c.json({ a: 1 }))
  app.get('/text', (c) => c.text('hi'))
  app.get('/own', (c) => c.json({}, 200, { 'Access-Control-Allow-Origin': 'https://own.example' }))
  app.get('/raw', () => new Response('data: x\n\n', { headers: { 'content-type': 'text/event-stream' } }))
  app.get('/throws', () => {
    throw new Error('boom')
  })
  app.notFound((c) => c.json({ detail: 'Not found' }, 404))
  app.onError((_, c) => c.json({ detail: 'failed' }, 500, { 'Retry-After': '5' }))
  return app
}

const answer = async (app: Hono, path: string, init: RequestInit) => {
  const response = await app.request(path, init)
  return { status: response.status, headers: [...response.headers], body: await response.text() }
}

describe('createCors', () => {
  it.each<CorsOptions['origin']>(['*', ['https://a.example', 'https://b.example']])(
    'answers exactly as Hono’s cors middleware does (origin %j)',
    async (origin) => {
      const ours = appWith(createCors({ ...OPTIONS, origin }))
      const hono = appWith(cors({ ...OPTIONS, origin }))
      const paths = ['/json', '/plain', '/text', '/own', '/raw', '/throws', '/blocked', '/missing']
      const requests: [string, RequestInit][] = []
      for (const path of paths) {
        for (const requestOrigin of [undefined, 'https://a.example', 'https://c.example']) {
          const headers: Record<string, string> = requestOrigin ? { origin: requestOrigin } : {}
          requests.push([path, { headers }])
          requests.push([
            path,
            {
              method: 'OPTIONS',
              headers: { ...headers, 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-a' },
            },
          ])
        }
      }
      for (const [path, init] of requests) {
        expect(await answer(ours, path, init), `${init.method ?? 'GET'} ${path}`).toEqual(
          await answer(hono, path, init),
        )
      }
    },
  )
})

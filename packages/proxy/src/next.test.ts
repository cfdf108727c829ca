import type { MockHttpServer } from '@genimage/mocks/node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createNextRouteHandlers, type NextRouteHandlers } from './next.js'
import { clientThrough, everything, KEY, observed, startUpstream, streamsAndPolls } from './test-helpers.js'

let upstream: MockHttpServer
let route: NextRouteHandlers

beforeAll(async () => {
  upstream = await startUpstream()
  route = createNextRouteHandlers({
    targetUrl: upstream.url,
    apiKey: KEY,
    authorize: (request) => request.headers.get('cookie') === 'session=ok',
  })
})

afterAll(() => upstream?.close())

/** What Next.js does: call the exported handler of the request's method. */
const next = ((input: RequestInfo | URL, init?: RequestInit) => {
  const request = new Request(input, init)
  request.headers.set('cookie', 'session=ok')
  const handler = route[request.method as keyof NextRouteHandlers]
  return handler ? handler(request) : Promise.resolve(new Response(null, { status: 405 }))
}) as typeof fetch

describe('createNextRouteHandlers', () => {
  it('exports GET, POST and PUT only, and OPTIONS for CORS preflights when origins are allowed', () => {
    expect(Object.keys(route).sort()).toEqual(['GET', 'POST', 'PUT'])
    const cross = createNextRouteHandlers({
      targetUrl: upstream.url,
      apiKey: KEY,
      authorize: () => true,
      allowedOrigins: ['https://app.example'],
    })
    expect(Object.keys(cross).sort()).toEqual(['GET', 'OPTIONS', 'POST', 'PUT'])
  })

  it('generates, follows the queue and cancels through the route with the client in proxyUrl mode', async () => {
    const browser = observed(next)
    const client = clientThrough(upstream.url, 'https://app.example/api/genimage', browser.fetch)
    const { image } = await client.generate({ prompt: 'a next fox', width: 512, height: 768 })
    expect(image).toMatchObject({ width: 512, height: 768 })
    const { request_id } = await client.queue.submit({ prompt: 'to cancel', num_inference_steps: 4 })
    const cancelled = await client.queue.cancel(request_id)
    expect(['CANCELLATION_REQUESTED', 'ALREADY_COMPLETED']).toContain(cancelled.status)
    const result = await client.subscribe({ prompt: 'followed', num_inference_steps: 2 })
    expect(result.image.height).toBe(512)
    const { streams, polls } = streamsAndPolls(browser.calls)
    expect(streams).toEqual([
      expect.objectContaining({ status: 200, contentType: expect.stringMatching(/^text\/event-stream/) }),
    ])
    expect(polls).toEqual([])
  })

  it('serves files from the catch-all route path', async () => {
    const client = clientThrough(upstream.url, 'https://app.example/api/genimage', next)
    const { image } = await client.generate({ prompt: 'file' })
    const key = new URL(image.url).pathname.split('/').pop()
    const response = await route.GET(
      new Request(`https://app.example/api/genimage/files/${key}`, { headers: { cookie: 'session=ok' } }),
    )
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('image/png')
  })

  it('answers 401 without a session and never shows the key', async () => {
    const response = await route.POST(
      new Request('https://app.example/api/genimage', {
        method: 'POST',
        headers: { 'x-genimage-target-url': `${upstream.url}/generate`, 'content-type': 'application/json' },
        body: '{"prompt":"anonymous"}',
      }),
    )
    expect(response.status).toBe(401)
    expect(await everything(response)).not.toContain(KEY)
  })
})

import type { MockHttpServer } from '@genimage/mocks/node'
import { Hono } from 'hono'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createHonoProxy } from './hono.js'
import { clientThrough, everything, KEY, observed, startUpstream, streamsAndPolls } from './test-helpers.js'

let upstream: MockHttpServer
let app: Hono

beforeAll(async () => {
  upstream = await startUpstream()
  const proxy = createHonoProxy({
    targetUrl: upstream.url,
    apiKey: KEY,
    authorize: (request) => request.headers.get('cookie') === 'user=ada',
  })
  app = new Hono()
  app.all('/api/genimage', proxy)
  app.all('/api/genimage/*', proxy)
})

afterAll(() => upstream?.close())

const request = (path: string, init: RequestInit = {}) => {
  const headers = new Headers(init.headers)
  headers.set('cookie', 'user=ada')
  return app.request(`http://app.example${path}`, { ...init, headers })
}

describe('createHonoProxy', () => {
  it('keeps x-genimage-target-url, so the client in proxyUrl mode generates (fal’s Hono adapter dropped it)', async () => {
    const browser = observed(((input: RequestInfo | URL, init?: RequestInit) =>
      Promise.resolve(request(new URL(String(input)).pathname, init))) as typeof fetch)
    const client = clientThrough(upstream.url, 'http://app.example/api/genimage', browser.fetch)
    const { image } = await client.generate({ prompt: 'a hono fox', width: 448, height: 320 })
    expect(image).toMatchObject({ width: 448, height: 320 })
    const result = await client.subscribe({ prompt: 'a queued hono fox', num_inference_steps: 2 })
    expect(result.image.content_type).toBe('image/png')
    const { streams, polls } = streamsAndPolls(browser.calls)
    expect(streams).toEqual([
      expect.objectContaining({ status: 200, contentType: expect.stringMatching(/^text\/event-stream/) }),
    ])
    expect(polls).toEqual([])
  })

  it('forwards paths after the wildcard mount point', async () => {
    const response = await request('/api/genimage/generate', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"prompt":"by path"}',
    })
    expect(response.status).toBe(200)
    const { image } = await response.json()
    const file = await request(`/api/genimage/files/${new URL(image.url).pathname.split('/').pop()}`)
    expect(file.headers.get('content-type')).toBe('image/png')
  })

  it('refuses unauthorized visitors, other routes and other hosts', async () => {
    const anonymous = await app.request('http://app.example/api/genimage/generate', { method: 'POST', body: '{}' })
    expect(anonymous.status).toBe(401)
    expect(await everything(anonymous)).not.toContain(KEY)
    expect((await request('/api/genimage/openapi.json')).status).toBe(404)
    expect((await request('/api/genimage/queue/requests/abc/cancel')).status).toBe(405)
    const elsewhere = await request('/api/genimage', {
      headers: { 'x-genimage-target-url': 'http://169.254.169.254/files/a.png' },
    })
    expect(elsewhere.status).toBe(403)
  })
})

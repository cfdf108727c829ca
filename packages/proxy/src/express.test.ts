import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { connect } from 'node:net'
import type { MockHttpServer } from '@genimage/mocks/node'
import express from 'express'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createExpressProxy } from './express.js'
import { clientThrough, everything, KEY, observed, startUpstream, streamsAndPolls } from './test-helpers.js'

let upstream: MockHttpServer
let server: Server
let app: string

beforeAll(async () => {
  upstream = await startUpstream({ stepMs: 10 })
  const proxy = { targetUrl: upstream.url, apiKey: KEY }
  const site = express()
  // A signed-in user has this cookie; anyone else gets 401 from the proxy.
  site.use('/api/genimage', createExpressProxy({ ...proxy, authorize: (r) => r.headers.get('cookie') === 'user=ada' }))
  // The same proxy behind a body parser that already read the JSON.
  site.use('/parsed/genimage', express.json(), createExpressProxy({ ...proxy, allowUnauthenticated: true }))
  site.use('/small/genimage', createExpressProxy({ ...proxy, allowUnauthenticated: true, maxBodyBytes: 100 }))
  server = site.listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  app = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(async () => {
  server?.closeAllConnections()
  await new Promise((resolve) => server?.close(resolve))
  await upstream?.close()
})

const signedIn = ((input: RequestInfo | URL, init?: RequestInit) => {
  const headers = new Headers(init?.headers)
  headers.set('cookie', 'user=ada')
  return fetch(input, { ...init, headers })
}) as typeof fetch

describe('createExpressProxy in a real Express app', () => {
  it('generates through the proxy with the client in proxyUrl mode', async () => {
    const client = clientThrough(upstream.url, `${app}/api/genimage`, signedIn)
    const { image, seed } = await client.generate({ prompt: 'an express fox', width: 384, height: 640, seed: 3 })
    expect(image).toMatchObject({ width: 384, height: 640, content_type: 'image/png' })
    expect(seed).toBe(3)
  })

  it('follows a queued generation over SSE through Express to the result', async () => {
    const browser = observed(signedIn)
    const client = clientThrough(upstream.url, `${app}/api/genimage`, browser.fetch)
    const statuses: string[] = []
    const result = await client.subscribe(
      { prompt: 'queued through express', num_inference_steps: 4 },
      { onQueueUpdate: (status) => statuses.push(status.status) },
    )
    expect(result.image.width).toBe(512)
    expect(statuses.at(-1)).toBe('COMPLETED')
    const { streams, polls } = streamsAndPolls(browser.calls)
    expect(streams).toEqual([
      expect.objectContaining({ status: 200, contentType: expect.stringMatching(/^text\/event-stream/) }),
    ])
    expect(polls).toEqual([])
  })

  it('serves the image at the proxy path, so <img src="/api/genimage/files/…"> works', async () => {
    const client = clientThrough(upstream.url, `${app}/api/genimage`, signedIn)
    const { image } = await client.generate({ prompt: 'for an img tag' })
    const key = new URL(image.url).pathname.split('/').pop()
    const response = await signedIn(`${app}/api/genimage/files/${key}`)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('image/png')
    expect((await response.arrayBuffer()).byteLength).toBe(image.file_size)
  })

  it('answers 401 to a visitor who is not signed in, without revealing the key', async () => {
    const response = await fetch(`${app}/api/genimage/generate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"prompt":"free GPU"}',
    })
    expect(response.status).toBe(401)
    expect(await everything(response)).not.toContain(KEY)
  })

  it('refuses other routes and path traversal', async () => {
    expect((await signedIn(`${app}/api/genimage/metrics`)).status).toBe(404)
    expect((await signedIn(`${app}/api/genimage/generate`)).status).toBe(405)
    const traversal = await signedIn(`${app}/api/genimage/files/x`, {
      headers: { 'x-genimage-target-url': `${upstream.url}/files/../metrics` },
    })
    expect(traversal.status).toBe(403)
    const otherHost = await signedIn(`${app}/api/genimage`, {
      method: 'POST',
      headers: { 'x-genimage-target-url': 'http://127.0.0.1:9/generate' },
      body: '{}',
    })
    expect(otherHost.status).toBe(403)
  })

  it('forwards a body that express.json() already parsed', async () => {
    const response = await fetch(`${app}/parsed/genimage/generate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'parsed first', width: 256, height: 256 }),
    })
    expect(response.status).toBe(200)
    expect((await response.json()).image).toMatchObject({ width: 256, height: 256 })
  })

  it('answers 400, not 500, to a Host header that makes no URL', async () => {
    const socket = connect(Number(new URL(app).port), '127.0.0.1')
    let answer = ''
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString()
    })
    socket.write(
      'GET /api/genimage/queue/requests/abc HTTP/1.1\r\nHost: a b\r\nCookie: user=ada\r\nConnection: close\r\n\r\n',
    )
    await new Promise((resolve) => socket.once('close', resolve))
    expect(answer).toMatch(/^HTTP\/1\.1 400 /)
    expect(answer).toContain('Host header')
  })

  it('answers 413 to a body over the cap', async () => {
    const response = await fetch(`${app}/small/genimage/generate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'x'.repeat(200) }),
    })
    expect(response.status).toBe(413)
  })
})

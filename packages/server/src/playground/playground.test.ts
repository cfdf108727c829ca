import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { createApp, createSyntheticBackend, MemoryImageStore, MemoryJobQueue } from '@genimage/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { findPlaygroundDir, PLAYGROUND_META, registerPlayground } from './index.js'

let scratch: string
let dist: string
const app = () => {
  const store = new MemoryImageStore()
  const queue = new MemoryJobQueue({ backend: createSyntheticBackend(), store })
  const hono = createApp({ queue, store })
  registerPlayground(hono, dist)
  return hono
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'playground-'))
  dist = join(scratch, 'dist')
  await mkdir(join(dist, 'assets'), { recursive: true })
  await writeFile(join(dist, 'index.html'), '<!doctype html><html><head><title>p</title></head><body></body></html>')
  await writeFile(join(dist, 'assets/index-abc123.js'), 'console.log(1)')
  await writeFile(join(dist, 'assets/index-abc123.css'), 'body{}')
  await writeFile(join(dist, 'mockServiceWorker.js'), '/* worker */')
  await writeFile(join(dist, '.env'), 'SECRET=1')
  await writeFile(join(scratch, 'outside.txt'), 'not served')
})

afterAll(() => rm(scratch, { recursive: true, force: true }))

describe('registerPlayground', () => {
  it('serves index.html at / marked as same-origin, so the page calls this server without mocks', async () => {
    const response = await app().request('/')
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(response.headers.get('cache-control')).toBe('no-cache')
    const html = await response.text()
    expect(html).toContain(`${PLAYGROUND_META}\n  </head>`)
    expect(html).toContain('<title>p</title>')
  })

  it.each([
    ['/assets/index-abc123.js', 'text/javascript; charset=utf-8', 'public, max-age=31536000, immutable'],
    ['/assets/index-abc123.css', 'text/css; charset=utf-8', 'public, max-age=31536000, immutable'],
    ['/mockServiceWorker.js', 'text/javascript; charset=utf-8', 'no-cache'],
  ])('serves %s as %s with cache-control %s', async (path, type, cache) => {
    const response = await app().request(path)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe(type)
    expect(response.headers.get('cache-control')).toBe(cache)
  })

  it('answers 304 to a matching If-None-Match', async () => {
    const hono = app()
    const first = await hono.request('/assets/index-abc123.js')
    const again = await hono.request('/assets/index-abc123.js', {
      headers: { 'if-none-match': first.headers.get('etag')! },
    })
    expect(again.status).toBe(304)
  })

  it.each([
    '/../outside.txt',
    '/%2e%2e/outside.txt',
    '/assets/%2e%2e/%2e%2e/outside.txt',
    '/..%2foutside.txt',
    '/..%5coutside.txt',
    '/.env',
    '/assets',
    '/missing.js',
  ])('does not serve %s: the API’s JSON 404 answers', async (path) => {
    const response = await app().request(path)
    expect(response.status).toBe(404)
    expect(response.headers.get('content-type')).toMatch(/application\/json/)
    expect(await response.text()).not.toMatch(/not served|SECRET/)
  })

  it('does not shadow the API routes', async () => {
    const hono = app()
    expect(await (await hono.request('/health')).json()).toEqual({ status: 'ok' })
    expect((await hono.request('/openapi.json')).headers.get('content-type')).toMatch(/json/)
    const generated = await hono.request('/generate', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"prompt":"still the API","width":256,"height":256}',
    })
    expect(generated.status).toBe(200)
    expect((await generated.json()).image.width).toBe(256)
  })
})

describe('findPlaygroundDir', () => {
  it('finds examples/web/dist two levels above the server package, and nothing elsewhere', async () => {
    const repo = join(scratch, 'repo')
    const server = join(repo, 'packages/server')
    await mkdir(join(server, 'dist'), { recursive: true })
    await writeFile(join(server, 'package.json'), '{"name":"@genimage/server"}')
    const from = pathToFileURL(join(server, 'dist/main.js')).href
    expect(findPlaygroundDir(from)).toBeUndefined()
    await mkdir(join(repo, 'examples/web/dist'), { recursive: true })
    await writeFile(join(repo, 'examples/web/dist/index.html'), '<html></html>')
    expect(findPlaygroundDir(from)).toBe(join(repo, 'examples/web/dist'))
    const other = join(scratch, 'other/packages/x')
    await mkdir(join(other, 'src'), { recursive: true })
    await writeFile(join(other, 'package.json'), '{"name":"someone-else"}')
    expect(findPlaygroundDir(pathToFileURL(join(other, 'src/a.js')).href)).toBeUndefined()
  })
})

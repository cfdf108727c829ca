import { afterEach, describe, expect, it, vi } from 'vitest'
import { createClient } from './client.js'
import { GenimageError } from './errors/genimage-error.js'
import { isBrowser } from './runtime.js'
import { fetchStub, generated, json } from './test-helpers.js'

const baseUrl = 'https://genimage.example.com'

afterEach(() => {
  vi.unstubAllGlobals()
})

/** Makes this Node process look like a browser page: `window` and `document`, and no `process.versions.node`. */
function pretendBrowser(): void {
  vi.stubGlobal('window', {})
  vi.stubGlobal('document', {})
  const real = (globalThis as unknown as { process: { versions: object } }).process
  vi.stubGlobal('process', { ...real, versions: { ...real.versions, node: undefined } })
}

describe('createClient in a browser', () => {
  it('refuses an apiKey and points at proxyUrl', () => {
    pretendBrowser()
    expect(() => createClient({ baseUrl, apiKey: 'sk-live' })).toThrow(GenimageError)
    expect(() => createClient({ baseUrl, apiKey: 'sk-live' })).toThrow(
      /refusing to use `apiKey` in a browser.*`proxyUrl`/,
    )
  })

  it('accepts an apiKey with dangerouslyAllowBrowser, and no key at all', async () => {
    pretendBrowser()
    const fetch = fetchStub(json(generated))
    const client = createClient({ baseUrl, apiKey: 'sk-live', dangerouslyAllowBrowser: true, fetch })
    await client.generate({ prompt: 'x' })
    expect(fetch.calls[0]?.headers.get('authorization')).toBe('Bearer sk-live')
    expect(() => createClient({ baseUrl, proxyUrl: '/api/genimage' })).not.toThrow()
  })

  it('accepts an apiKey in Node, even with jsdom-like window and document', () => {
    vi.stubGlobal('window', {})
    vi.stubGlobal('document', {})
    expect(() => createClient({ baseUrl, apiKey: 'sk-live' })).not.toThrow()
  })
})

describe('isBrowser', () => {
  it.each([
    ['a page', { window: {}, document: {} }, true],
    ['a classic worker', { importScripts: () => {} }, true],
    ['a module worker', { WorkerGlobalScope: class {} }, true],
    ['Node', { process: { versions: { node: '20.19.0' } } }, false],
    ['Node with jsdom', { window: {}, document: {}, process: { versions: { node: '20.19.0' } } }, false],
    ['Deno', { Deno: {}, window: {}, document: {} }, false],
    ['Bun', { Bun: {} }, false],
    ['Vercel Edge', { EdgeRuntime: 'edge-runtime', WorkerGlobalScope: class {} }, false],
    ['Cloudflare Workers', { navigator: { userAgent: 'Cloudflare-Workers' }, WorkerGlobalScope: class {} }, false],
    ['an unknown server runtime', {}, false],
  ])('is right for %s', (_name, globals, expected) => {
    expect(isBrowser(globals)).toBe(expected)
  })

  it('reads the real globals by default (Node here)', () => {
    expect(isBrowser()).toBe(false)
  })
})

import { describe, expect, it } from 'vitest'
import { ValidationProblem } from '../errors.js'
import { MemoryImageStore } from '../store/memory-store.js'
import { encodeJpeg, encodePng, paintLatent } from '../synthetic/images/index.js'
import { toBase64 } from '../util/base64.js'
import { createInputImageResolver, type InputImageOptions } from './resolve.js'
import { pngHeader } from './test-images.js'

const BASE = 'http://localhost:8787'
const png = encodePng(paintLatent('a fox', 1, 64, 48), 64, 48)
const dataUri = (bytes: Uint8Array, type = 'image/png') => `data:${type};base64,${toBase64(bytes)}`

const setup = (options: InputImageOptions = {}) => {
  const store = new MemoryImageStore()
  const resolve = createInputImageResolver(options)
  return { store, resolve: (url: string) => resolve(url, { store, ownBases: [BASE] }) }
}

const refusal = async (promise: Promise<unknown>) => {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  )
  expect(error).toBeInstanceOf(ValidationProblem)
  const [issue] = (error as ValidationProblem).issues
  expect(issue?.loc).toEqual(['body', 'image_url'])
  return issue!.msg
}

describe('createInputImageResolver', () => {
  it('stores a data URI under its content key and keeps only key and size', async () => {
    const { store, resolve } = setup()
    const ref = await resolve(dataUri(png))
    expect(ref).toEqual({
      key: expect.stringMatching(/^[0-9a-f]{32}\.png$/),
      content_type: 'image/png',
      width: 64,
      height: 48,
    })
    expect((await store.get(ref.key))?.bytes).toEqual(png)
  })

  it('trusts the bytes, not the declared type', async () => {
    const jpeg = encodeJpeg(paintLatent('a fox', 1, 64, 48), 64, 48, 90)
    const { resolve } = setup()
    expect(await resolve(dataUri(jpeg, 'image/png'))).toMatchObject({ content_type: 'image/jpeg', key: /\.jpeg$/ })
  })

  it("reads this server's own /files/ URL from the store, not over HTTP", async () => {
    const { store, resolve } = setup()
    await store.put('synthetic-0123456789abcdef.png', { bytes: png, contentType: 'image/png' })
    expect(await resolve(`${BASE}/files/synthetic-0123456789abcdef.png`)).toEqual({
      key: 'synthetic-0123456789abcdef.png',
      content_type: 'image/png',
      width: 64,
      height: 48,
    })
  })

  it.each([
    ['bad base64', 'data:image/png;base64,iVBO!!', /not valid base64/],
    ['a data URI that is not base64', 'data:image/png,abc', /must be base64/],
    ['a data URI of another type', 'data:image/gif;base64,R0lGOD==', /must be image\/png, image\/jpeg or image\/webp/],
    ['wrong magic bytes', dataUri(new TextEncoder().encode('GIF89a-not-an-image')), /unknown magic bytes/],
    ['a truncated PNG', dataUri(png.subarray(0, 100)), /PNG is truncated/],
    ['a 5000×5000 header', dataUri(pngHeader(5000, 5000)), /5000×5000 pixels, over the limit of 4096×4096/],
    ['an own /files/ URL of an unknown key', `${BASE}/files/0123456789abcdef0123456789abcdef.png`, /has no file/],
    ['an own /files/ URL of no file key', `${BASE}/files/..%2Fetc`, /not a file key/],
    ['a remote URL not allowlisted', 'https://images.example.com/fox.png', /images\.example\.com is not allowlisted/],
    ['another scheme', 'ftp://example.com/fox.png', /data: URI or an http\(s\) URL, not ftp:/],
    ['no URL at all', 'fox.png', /data: URI or an http\(s\) URL/],
  ])('refuses %s with 422 at body.image_url', async (_, url, reason) => {
    expect(await refusal(setup().resolve(url))).toMatch(reason)
  })

  it('refuses an image over maxBytes before decoding it', async () => {
    const { resolve } = setup({ maxBytes: 100 })
    expect(await refusal(resolve(dataUri(png)))).toMatch(/larger than 100 bytes/)
  })

  it('fetches an allowlisted remote URL through fetchRemote, and says so when there is none', async () => {
    const fetched: string[] = []
    const { resolve } = setup({
      allowedHosts: ['.example.com'],
      fetchRemote: async (url) => {
        fetched.push(url.href)
        return png
      },
    })
    expect(await resolve('https://cdn.example.com/fox.png')).toMatchObject({ content_type: 'image/png' })
    expect(fetched).toEqual(['https://cdn.example.com/fox.png'])
    const noFetch = setup({ allowedHosts: ['cdn.example.com'] })
    expect(await refusal(noFetch.resolve('https://cdn.example.com/fox.png'))).toMatch(/does not fetch remote images/)
  })
})

import { describe, expect, it } from 'vitest'
import { MemoryJobQueue } from '../queue/memory/memory-job-queue.js'
import { MemoryImageStore } from '../store/memory-store.js'
import { encodeJpeg, encodePng, encodeWebp, paintLatent } from '../synthetic/images/index.js'
import { createSyntheticBackend } from '../synthetic/synthetic-backend.js'
import { toBase64 } from '../util/base64.js'
import { type AppOptions, createApp } from './create-app.js'

const latent = paintLatent('an input', 1, 64, 48)
const PNG = encodePng(latent, 64, 48)
const dataUri = (bytes: Uint8Array) => `data:image/png;base64,${toBase64(bytes)}`

const build = (options: Partial<AppOptions> = {}) => {
  const store = new MemoryImageStore()
  const queue = new MemoryJobQueue({ backend: createSyntheticBackend(), store })
  const app = createApp({ queue, store, ...options })
  const post = (body: unknown, base = 'http://localhost:8787') =>
    app.request(`${base}/generate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    })
  return { app, store, post }
}

describe('image_url on the generate routes', () => {
  it('lets a body through up to maxBodyBytes + ceil(4/3 × the image limit), and no further', async () => {
    const { post } = build({ maxBodyBytes: 1024, inputImages: { maxBytes: 3000 } })
    const limit = 1024 + 4000
    const fits = JSON.stringify({ prompt: 'x', padding: 'y'.repeat(limit - 30) })
    expect(fits.length).toBeLessThanOrEqual(limit)
    expect((await post(fits)).status).toBe(422) // read and validated: padding is not a field
    const over = JSON.stringify({ prompt: 'x', padding: 'y'.repeat(limit) })
    expect((await post(over)).status).toBe(413)
  })

  it('accepts a picture of exactly the byte limit in a data URI, and refuses one byte more with 422', async () => {
    const { post } = build({ maxBodyBytes: 1024, inputImages: { maxBytes: PNG.byteLength } })
    expect((await post({ prompt: 'x', image_url: dataUri(PNG), width: 256, height: 256 })).status).toBe(200)
    const bigger = build({ maxBodyBytes: 1024, inputImages: { maxBytes: PNG.byteLength - 1 } })
    const response = await bigger.post({ prompt: 'x', image_url: dataUri(PNG) })
    expect(response.status).toBe(422)
    expect(await response.json()).toMatchObject({
      detail: [{ loc: ['body', 'image_url'], msg: expect.stringMatching(/larger than/) }],
    })
  })

  it.each([
    ['PNG', PNG],
    ['JPEG', encodeJpeg(latent, 64, 48, 90)],
    ['WebP', encodeWebp(latent, 64, 48)],
  ])('starts from a %s picture', async (_, bytes) => {
    const { post } = build()
    const response = await post({ prompt: 'x', image_url: dataUri(bytes), width: 256, height: 256 })
    expect(response.status).toBe(200)
  })

  it('reads own /files/ URLs under the public base URL and under the origin the request came to', async () => {
    const { post, store } = build({ publicBaseUrl: 'https://images.example.com/v1' })
    await store.put('synthetic-0123456789abcdef.png', { bytes: PNG, contentType: 'image/png' })
    for (const base of ['https://images.example.com/v1', 'http://localhost:8787']) {
      const response = await post({ prompt: 'x', image_url: `${base}/files/synthetic-0123456789abcdef.png` })
      expect(response.status, base).toBe(200)
    }
  })

  it('answers every truncation and byte flip of a picture with 200 or 422, never a 5xx', async () => {
    const { post } = build()
    const variants: Uint8Array[] = []
    for (let end = 0; end < PNG.byteLength; end += 37) variants.push(PNG.subarray(0, end))
    for (let at = 0; at < 64; at += 3) {
      const flipped = PNG.slice()
      flipped[at] = flipped[at]! ^ 0xff
      variants.push(flipped)
    }
    for (const bytes of variants) {
      const response = await post({ prompt: 'x', image_url: dataUri(bytes), width: 256, height: 256 })
      expect([200, 422]).toContain(response.status)
    }
  })
})

import type { Hono } from 'hono'
import { HttpProblem } from '../../errors.js'
import type { AppContext } from '../context.js'

/** The only file keys the API ever hands out: a content hash and one extension. */
export const FILE_KEY_PATTERN = /^[A-Za-z0-9_-]{1,128}\.(png|jpeg|webp)$/

/**
 * `GET /files/{key}`: stored images, immutable and content-addressed, served without auth to whoever holds the key.
 * A key is a hash of the image (128 bits of the bytes' SHA-256, or for the synthetic backend a hash of the inputs
 * that fix the bytes): only someone who has the image, or could make it, knows the key, so the URL is a capability.
 * Two owners who get the same bytes get the same key, which reveals nothing they did not already have.
 */
export function registerFileRoutes(app: Hono, context: AppContext): void {
  app.get('/files/:key', async (c) => {
    const key = c.req.param('key')
    if (!FILE_KEY_PATTERN.test(key)) {
      throw new HttpProblem(400, 'Invalid file key: expected <letters, digits, - or _>.<png|jpeg|webp>')
    }
    const etag = `"${key}"`
    const image = await context.store.get(key)
    if (!image) throw new HttpProblem(404, `File ${key} not found`)
    const headers = { etag, 'cache-control': 'public, max-age=31536000, immutable' }
    if (
      c.req
        .header('if-none-match')
        ?.split(/\s*,\s*/)
        .includes(etag)
    )
      return c.body(null, 304, headers)
    return c.body(image.bytes as Uint8Array<ArrayBuffer>, 200, {
      ...headers,
      'content-type': image.contentType,
      'content-length': String(image.bytes.byteLength),
    })
  })
}

import { createHostMatcher } from '../app/allowed-hosts.js'
import { FILE_KEY_PATTERN } from '../app/routes/files.js'
import { ValidationProblem } from '../errors.js'
import { contentKey } from '../store/content-key.js'
import type { ImageStore } from '../store/image-store.js'
import type { InputImageRef } from '../types.js'
import { decodeDataUri, tooLarge } from './data-uri.js'
import { sniffImage } from './sniff.js'

/** Limits and sources of image-to-image inputs (`image_url`). */
export interface InputImageOptions {
  /** Largest input image, in decoded bytes. @default 4194304 (4 MiB) */
  maxBytes?: number
  /** Largest width and height of an input image, in pixels. @default 4096 */
  maxSide?: number
  /**
   * Hosts whose `http(s)` URLs may be fetched, with the `Host` matching rules (`.example.com`, exact names); any
   * other remote URL is refused with 422. @default []
   */
  allowedHosts?: readonly string[]
  /**
   * Fetches an allowlisted remote image, at most `maxBytes`; the host supplies it (with its SSRF guard). Without it,
   * allowlisted remote URLs are refused with 422 too.
   */
  fetchRemote?: (url: URL, limits: { maxBytes: number }) => Promise<Uint8Array>
}

/** The default {@link InputImageOptions.maxBytes}: 4 MiB. */
export const DEFAULT_MAX_INPUT_IMAGE_BYTES = 4 * 1024 * 1024
/** The default {@link InputImageOptions.maxSide}. */
export const DEFAULT_MAX_INPUT_IMAGE_SIDE = 4096

/** Where an `image_url` is resolved: the store and the bases this server's own `/files/` URLs start with. */
export interface InputImageContext {
  store: ImageStore
  /** Origins plus base path this server answers on (its public base URL, the request's own origin). */
  ownBases: readonly string[]
}

/** Turns `image_url` values into stored input images; see {@link createInputImageResolver}. */
export type InputImageResolver = (url: string, context: InputImageContext) => Promise<InputImageRef>

const refuse = (url: string, reason: string): ValidationProblem =>
  new ValidationProblem([
    { loc: ['body', 'image_url'], msg: `Cannot use image_url: ${reason}`, type: 'value_error', input: url },
  ])

/**
 * Resolves `image_url` once, at submit: a base64 `data:` URI is decoded, checked (format by magic bytes, size from
 * the header, limits) and put in the image store under its content key; a URL of this server's own `/files/` is
 * read from the store (never over HTTP); an allowlisted remote URL goes through `fetchRemote`. Anything else, and
 * any unreadable image, is a 422 at `["body", "image_url"]`. Only the key and size go into the job.
 * @example const ref = await createInputImageResolver()('data:image/png;base64,…', { store, ownBases: ['http://localhost:8787'] })
 */
export function createInputImageResolver(options: InputImageOptions = {}): InputImageResolver {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_INPUT_IMAGE_BYTES
  const maxSide = options.maxSide ?? DEFAULT_MAX_INPUT_IMAGE_SIDE
  const hostAllowed = createHostMatcher(options.allowedHosts ?? [])

  const check = (url: string, bytes: Uint8Array) => {
    if (bytes.byteLength > maxBytes) throw refuse(url, tooLarge(maxBytes))
    const sniffed = sniffImage(bytes)
    if (typeof sniffed === 'string') throw refuse(url, sniffed)
    if (sniffed.width > maxSide || sniffed.height > maxSide) {
      throw refuse(
        url,
        `the image is ${sniffed.width}×${sniffed.height} pixels, over the limit of ${maxSide}×${maxSide}`,
      )
    }
    return sniffed
  }

  const store = async (url: string, bytes: Uint8Array, context: InputImageContext): Promise<InputImageRef> => {
    const { contentType, width, height } = check(url, bytes)
    const key = await contentKey(bytes, contentType)
    await context.store.put(key, { bytes, contentType })
    return { key, content_type: contentType, width, height }
  }

  const ownFile = async (url: string, context: InputImageContext): Promise<InputImageRef | undefined> => {
    const base = context.ownBases.find((own) => url.startsWith(`${own}/files/`))
    const key = base ? url.slice(base.length + '/files/'.length) : url.slice(url.lastIndexOf('/') + 1)
    if (!base && context.store.publicUrl?.(key) !== url) return undefined
    if (!FILE_KEY_PATTERN.test(key))
      throw refuse(url, `${JSON.stringify(key.slice(0, 140))} is not a file key of this server`)
    const stored = await context.store.get(key)
    if (!stored)
      throw refuse(url, `this server has no file ${key} (it may have expired); send the image as a data: URI`)
    const { contentType, width, height } = check(url, stored.bytes)
    return { key, content_type: contentType, width, height }
  }

  return async (url, context) => {
    if (/^data:/i.test(url)) {
      const bytes = decodeDataUri(url, maxBytes)
      if (typeof bytes === 'string') throw refuse(url, bytes)
      return store(url, bytes, context)
    }
    let parsed: URL
    try {
      parsed = new URL(url)
    } catch {
      throw refuse(url, 'it must be a data: URI or an http(s) URL')
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw refuse(url, `it must be a data: URI or an http(s) URL, not ${parsed.protocol}`)
    }
    const own = await ownFile(url, context)
    if (own) return own
    if (!hostAllowed(parsed.host)) {
      throw refuse(
        url,
        `host ${parsed.hostname} is not allowlisted for remote images (IMAGE_URL_ALLOWED_HOSTS); send the image as a data: URI`,
      )
    }
    if (!options.fetchRemote) throw refuse(url, 'this server does not fetch remote images; send a data: URI')
    let bytes: Uint8Array
    try {
      bytes = await options.fetchRemote(parsed, { maxBytes })
    } catch (error) {
      throw refuse(url, `fetching it failed: ${(error as Error).message}`)
    }
    return store(url, bytes, context)
  }
}

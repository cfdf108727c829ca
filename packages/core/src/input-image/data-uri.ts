import { fromBase64 } from '../util/base64.js'

/** The declared types a `data:` URI of an input image may carry; the bytes decide the real format. */
const DECLARED_TYPES = new Set(['image/png', 'image/jpeg', 'image/jpg', 'image/webp'])

/**
 * The bytes of a base64 `data:` URI of an image, or a sentence saying why not. `maxBytes` is checked on the encoded
 * length before anything is decoded.
 * @example decodeDataUri('data:image/png;base64,iVBORw0…', 4 * 1024 * 1024) // Uint8Array […]
 */
export function decodeDataUri(uri: string, maxBytes: number): Uint8Array | string {
  const comma = uri.indexOf(',')
  if (comma < 0) return 'the data: URI has no comma before its data'
  const header = uri.slice(5, comma).toLowerCase().split(';')
  const declared = header[0]?.trim() ?? ''
  if (!DECLARED_TYPES.has(declared)) {
    return `a data: URI must be image/png, image/jpeg or image/webp (got ${JSON.stringify(declared.slice(0, 40) || 'none')})`
  }
  if (header.at(-1)?.trim() !== 'base64') return 'the data: URI must be base64-encoded (data:image/png;base64,…)'
  const encoded = uri.length - comma - 1
  if (Math.floor((encoded * 3) / 4) - 2 > maxBytes) return tooLarge(maxBytes)
  const bytes = fromBase64(uri.slice(comma + 1))
  if (!bytes) return 'the data: URI is not valid base64'
  if (bytes.byteLength > maxBytes) return tooLarge(maxBytes)
  if (bytes.byteLength === 0) return 'the data: URI holds no bytes'
  return bytes
}

/** The message for an image over `maxBytes`. */
export const tooLarge = (maxBytes: number): string =>
  `the image is larger than ${maxBytes} bytes (${(maxBytes / 1024 / 1024).toFixed(maxBytes % 1048576 === 0 ? 0 : 2)} MiB)`

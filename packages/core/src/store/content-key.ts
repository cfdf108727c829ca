import type { ImageContentType } from '../types.js'

const extensions: Record<ImageContentType, string> = { 'image/png': 'png', 'image/jpeg': 'jpeg', 'image/webp': 'webp' }

/**
 * A content-addressed store key: the first 128 bits of the SHA-256 of the bytes, hex, plus the format's extension.
 * @example await contentKey(bytes, 'image/png') // '3f2a…9c.png'
 */
export async function contentKey(bytes: Uint8Array, contentType: ImageContentType): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>))
  let hex = ''
  for (const byte of digest.subarray(0, 16)) hex += byte.toString(16).padStart(2, '0')
  return `${hex}.${extensions[contentType]}`
}

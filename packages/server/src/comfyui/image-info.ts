/**
 * Reads the format and pixel size from an encoded image's header (PNG, JPEG, WebP), for images that arrive
 * without metadata (SaveImageWebsocket frames, files fetched through `/view`).
 * @module
 */
import type { ImageContentType } from '@genimage/core'

/** Format and size of an encoded image. */
export interface ImageInfo {
  contentType: ImageContentType
  width: number
  height: number
}

/**
 * Sniffs an encoded image; undefined when the bytes are none of PNG, JPEG or WebP, or are truncated.
 * @example
 * imageInfo(pngBytes) // { contentType: 'image/png', width: 512, height: 512 }
 */
export function imageInfo(bytes: Uint8Array): ImageInfo | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const ascii = (at: number, length: number) => String.fromCharCode(...bytes.subarray(at, at + length))
  if (bytes.length >= 24 && view.getUint32(0) === 0x89504e47 && ascii(12, 4) === 'IHDR') {
    return { contentType: 'image/png', width: view.getUint32(16), height: view.getUint32(20) }
  }
  if (bytes.length >= 4 && bytes[0] === 0xff && bytes[1] === 0xd8) return jpegInfo(bytes, view)
  if (bytes.length >= 30 && ascii(0, 4) === 'RIFF' && ascii(8, 4) === 'WEBP') return webpInfo(bytes, view, ascii)
  return undefined
}

function jpegInfo(bytes: Uint8Array, view: DataView): ImageInfo | undefined {
  let at = 2
  while (at + 9 < bytes.length) {
    if (bytes[at] !== 0xff) return undefined
    const marker = bytes[at + 1]!
    if (marker === 0xff) {
      at++
      continue
    }
    const length = view.getUint16(at + 2)
    // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC) carry the frame size.
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { contentType: 'image/jpeg', height: view.getUint16(at + 5), width: view.getUint16(at + 7) }
    }
    at += 2 + length
  }
  return undefined
}

function webpInfo(
  bytes: Uint8Array,
  view: DataView,
  ascii: (at: number, length: number) => string,
): ImageInfo | undefined {
  const chunk = ascii(12, 4)
  if (chunk === 'VP8 ') {
    return {
      contentType: 'image/webp',
      width: view.getUint16(26, true) & 0x3fff,
      height: view.getUint16(28, true) & 0x3fff,
    }
  }
  if (chunk === 'VP8L') {
    const bits = view.getUint32(21, true)
    return { contentType: 'image/webp', width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 }
  }
  if (chunk === 'VP8X') {
    const width = 1 + (bytes[24]! | (bytes[25]! << 8) | (bytes[26]! << 16))
    const height = 1 + (bytes[27]! | (bytes[28]! << 8) | (bytes[29]! << 16))
    return { contentType: 'image/webp', width, height }
  }
  return undefined
}

/**
 * What an input image is, read from its bytes alone (never from a declared MIME type): the format from the magic
 * bytes, the size from the header, and a structural check that the file is whole (PNG chunks with valid CRCs up to
 * IEND, JPEG markers up to a frame header and the end-of-image marker, a RIFF size that matches). Pixels are not
 * decoded.
 * @module
 */
import { crc32 } from '../synthetic/images/crc32.js'
import type { ImageContentType } from '../types.js'

/** The format and size of a readable image. */
export interface SniffedImage {
  contentType: ImageContentType
  width: number
  height: number
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]

const startsWith = (bytes: Uint8Array, prefix: readonly number[], at = 0): boolean =>
  prefix.every((byte, index) => bytes[at + index] === byte)

const ascii = (bytes: Uint8Array, at: number, length: number): string =>
  String.fromCharCode(...bytes.subarray(at, at + length))

const u32be = (bytes: Uint8Array, at: number): number =>
  ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0
const u16be = (bytes: Uint8Array, at: number): number => (bytes[at]! << 8) | bytes[at + 1]!
const u16le = (bytes: Uint8Array, at: number): number => bytes[at]! | (bytes[at + 1]! << 8)
const u24le = (bytes: Uint8Array, at: number): number => bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16)
const u32le = (bytes: Uint8Array, at: number): number => u24le(bytes, at) + bytes[at + 3]! * 2 ** 24

function sniffPng(bytes: Uint8Array): SniffedImage | string {
  let offset = 8
  let size: { width: number; height: number } | undefined
  let sawData = false
  while (offset + 12 <= bytes.length) {
    const length = u32be(bytes, offset)
    const type = ascii(bytes, offset + 4, 4)
    const end = offset + 12 + length
    if (end > bytes.length) return `the PNG is truncated (chunk ${type} runs past the end)`
    if (crc32(bytes, offset + 4, offset + 8 + length) >>> 0 !== u32be(bytes, offset + 8 + length)) {
      return `the PNG is corrupt (chunk ${type} fails its CRC)`
    }
    if (size === undefined) {
      if (type !== 'IHDR' || length !== 13) return 'the PNG does not start with an IHDR header'
      size = { width: u32be(bytes, offset + 8), height: u32be(bytes, offset + 12) }
    }
    if (type === 'IDAT') sawData = true
    if (type === 'IEND') {
      if (!sawData) return 'the PNG has no image data (IDAT)'
      return { contentType: 'image/png', ...size }
    }
    offset = end
  }
  return 'the PNG is truncated (no IEND chunk)'
}

/** Start-of-frame markers that carry the size: SOF0–SOF15 except DHT (C4), JPG (C8) and DAC (CC). */
const isStartOfFrame = (marker: number): boolean =>
  marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc

function sniffJpeg(bytes: Uint8Array): SniffedImage | string {
  let offset = 2
  let size: { width: number; height: number } | undefined
  while (offset + 4 <= bytes.length) {
    if (bytes[offset] !== 0xff) return 'the JPEG is corrupt (a marker was expected)'
    const marker = bytes[offset + 1]!
    if (marker === 0xff) {
      offset += 1 // fill byte
      continue
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      offset += 2 // markers without a length
      continue
    }
    const length = u16be(bytes, offset + 2)
    if (length < 2 || offset + 2 + length > bytes.length) return 'the JPEG is truncated'
    if (isStartOfFrame(marker)) {
      if (length < 7) return 'the JPEG frame header is too short'
      size = { height: u16be(bytes, offset + 5), width: u16be(bytes, offset + 7) }
    }
    if (marker === 0xda) {
      if (!size) return 'the JPEG has no frame header before its scan'
      // Entropy-coded data follows; a whole file ends with EOI (trailing padding after it is tolerated).
      let last = bytes.length
      while (last > offset && bytes[last - 1] === 0x00) last -= 1
      if (bytes[last - 2] !== 0xff || bytes[last - 1] !== 0xd9) return 'the JPEG is truncated (no end-of-image marker)'
      return { contentType: 'image/jpeg', ...size }
    }
    offset += 2 + length
  }
  return 'the JPEG is truncated'
}

function sniffWebp(bytes: Uint8Array): SniffedImage | string {
  if (u32le(bytes, 4) + 8 !== bytes.length) return 'the WebP is truncated or has trailing bytes (RIFF size mismatch)'
  const chunk = ascii(bytes, 12, 4)
  const data = 20
  if (bytes.length < data + 10) return 'the WebP is truncated'
  if (chunk === 'VP8 ') {
    if (!startsWith(bytes, [0x9d, 0x01, 0x2a], data + 3)) return 'the WebP (VP8) frame header is corrupt'
    return {
      contentType: 'image/webp',
      width: u16le(bytes, data + 6) & 0x3fff,
      height: u16le(bytes, data + 8) & 0x3fff,
    }
  }
  if (chunk === 'VP8L') {
    if (bytes[data] !== 0x2f) return 'the WebP (VP8L) signature is corrupt'
    const bits = u32le(bytes, data + 1)
    return { contentType: 'image/webp', width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 }
  }
  if (chunk === 'VP8X') {
    return { contentType: 'image/webp', width: u24le(bytes, data + 4) + 1, height: u24le(bytes, data + 7) + 1 }
  }
  return `the WebP has an unknown first chunk ${JSON.stringify(chunk)}`
}

/**
 * The format and size of a PNG, JPEG or WebP file, or a sentence saying why it is none of them (unknown magic
 * bytes, truncated, corrupt header).
 * @example sniffImage(pngBytes) // { contentType: 'image/png', width: 512, height: 512 }
 */
export function sniffImage(bytes: Uint8Array): SniffedImage | string {
  let found: SniffedImage | string
  if (bytes.length >= 8 && startsWith(bytes, PNG_SIGNATURE)) found = sniffPng(bytes)
  else if (bytes.length >= 3 && startsWith(bytes, [0xff, 0xd8, 0xff])) found = sniffJpeg(bytes)
  else if (bytes.length >= 16 && ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 4) === 'WEBP')
    found = sniffWebp(bytes)
  else return 'it is not a PNG, JPEG or WebP file (unknown magic bytes)'
  if (typeof found !== 'string' && (found.width < 1 || found.height < 1)) return 'the image header gives it no pixels'
  return found
}

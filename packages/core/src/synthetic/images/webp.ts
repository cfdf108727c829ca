// Lossless WebP (VP8L) in work proportional to the latent cells: no transforms, no colour cache, one prefix-code group.
// Each cell's first pixel row is one literal pixel and a 7-pixel copy from the left (2-D distance code 2); the other
// seven pixel rows of a cell row are copies from the row above (distance code 1), at most 4096 pixels each.

import { BitWriter, canonicalCodes, scratch } from './bit-writer.js'
import { checkLatent } from './paint-latent.js'

/** Order in which code-length code lengths are sent (VP8L spec, kCodeLengthCodeOrder). */
const CODE_LENGTH_ORDER = [17, 18, 0, 1, 2, 3, 4, 5, 16, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]
const MAX_COPY = 4096

/**
 * Green alphabet (256 literals + 24 length prefixes, no colour cache): literals get 9 bits, length prefixes 0..7
 * get 5 bits and 8..23 get 6 bits (256·2⁻⁹ + 8·2⁻⁵ + 16·2⁻⁶ = 1, a complete code).
 */
const GREEN_LENGTHS = Array.from({ length: 280 }, (_, s) => (s < 256 ? 9 : s < 264 ? 5 : 6))
const GREEN = canonicalCodes(GREEN_LENGTHS)

/** VP8L's LZ77 prefix coding of a value ≥ 1: prefix symbol, extra-bit count and extra bits. */
function prefixCode(value: number): [symbol: number, extraBits: number, extra: number] {
  const d = value - 1
  if (d < 4) return [d, 0, 0]
  const high = 31 - Math.clz32(d)
  const extraBits = high - 1
  return [2 * high + ((d >> extraBits) & 1), extraBits, d & ((1 << extraBits) - 1)]
}

/**
 * Distance codes go through VP8L's 2-D neighbourhood map: code 1 is the pixel above, code 2 the pixel to the left.
 * The distance alphabet is a simple code with two symbols, 0 (prefix of code 1) → bit 0, 1 (code 2) → bit 1.
 */
const DIST_ABOVE = 0
const DIST_LEFT = 1

/** A backward reference of `length` pixels as one write: length prefix, its extra bits, then the distance bit. */
function copyWrite(length: number, distanceBit: number): [bits: number, n: number] {
  const [symbol, extraBits, extra] = prefixCode(length)
  const codeLen = GREEN_LENGTHS[256 + symbol]!
  return [GREEN[256 + symbol]! | (extra << codeLen) | (distanceBit << (codeLen + extraBits)), codeLen + extraBits + 1]
}

/** The five prefix codes of the single group, as a list of writes (identical for every image). */
const CODES_HEADER = (() => {
  const writes: [number, number][] = []
  // A normal code: its code-length code (symbol → length, here at most three symbols), then every symbol's length.
  const normal = (codeLengthCode: Record<number, number>, symbolLengths: number[]): void => {
    const clLengths = new Array<number>(19).fill(0)
    for (const [symbol, len] of Object.entries(codeLengthCode)) clLengths[Number(symbol)] = len
    const clCodes = canonicalCodes(clLengths)
    const last = Math.max(...Object.keys(codeLengthCode).map((symbol) => CODE_LENGTH_ORDER.indexOf(Number(symbol))))
    writes.push([0, 1], [last + 1 - 4, 4]) // normal code; number of code-length code lengths − 4
    for (let i = 0; i <= last; i++) writes.push([clLengths[CODE_LENGTH_ORDER[i]!]!, 3])
    writes.push([0, 1]) // max_symbol = alphabet size
    for (const len of symbolLengths) writes.push([clCodes[len]!, clLengths[len]!])
  }
  const eights = new Array<number>(256).fill(8)
  normal({ 9: 1, 5: 2, 6: 2 }, GREEN_LENGTHS) // green + length prefixes
  normal({ 0: 1, 8: 1 }, eights) // red
  normal({ 0: 1, 8: 1 }, eights) // blue
  // Alpha: simple code, one 8-bit symbol 255 (costs no bits per pixel).
  writes.push([1, 1], [0, 1], [1, 1], [255, 8])
  // Distance: simple code, two symbols: 0 in 1 bit, then 1 in 8 bits.
  writes.push([1, 1], [1, 1], [0, 1], [0, 1], [1, 8])
  return writes
})()

/** REVERSED[v] = v with its 8 bits reversed: the code of v in an all-8-bit canonical code, as BitWriter writes it. */
const REVERSED = canonicalCodes(new Array<number>(256).fill(8))

/**
 * Completes a cell's first row: copy 7 pixels from the left. 7 bits (5-bit length prefix, 1 extra bit, 1-bit distance
 * code), so with the 25-bit literal a cell is exactly 32 bits.
 */
const [RUN_BITS] = copyWrite(7, DIST_LEFT)

/**
 * Encodes a latent grid (one RGB cell per 8×8 block) as a lossless WebP (VP8L), in time proportional to the cells.
 * @example
 * const webp = encodeWebp(paintLatent('a red fox', 42, 512, 512), 512, 512)
 * new Blob([webp], { type: 'image/webp' })
 */
export function encodeWebp(latent: Uint8Array, width: number, height: number): Uint8Array {
  checkLatent(latent, width, height)
  const cols = width / 8
  const rows = height / 8

  const rowCopies: [number, number][] = []
  for (let left = 7 * width; left > 0; left -= MAX_COPY) rowCopies.push(copyWrite(Math.min(left, MAX_COPY), DIST_ABOVE))

  // Bound: headers (~1000 bits) + per cell 9+8+8 literal bits and a copy + per cell row the row copies.
  const out = scratch(20 + 256 + cols * rows * 5 + rows * rowCopies.length * 4)
  const w = new BitWriter(out, 20)
  w.write(0x2f, 8) // VP8L signature
  w.write(width - 1, 14)
  w.write(height - 1, 14)
  w.write(0, 4) // alpha_is_used = 0, version = 0
  w.write(0, 3) // no transform, no colour cache, no meta prefix codes
  for (const [bits, n] of CODES_HEADER) w.write(bits, n)

  for (let y = 0, p = 0; y < rows; y++) {
    // Hot loop: BitWriter.write inlined on locals. Each cell is exactly 32 bits (17 + 15), so the pending-bit count
    // is the same before every cell (0..7) and each write stores exactly two bytes, with no branches.
    let acc = w.acc
    const pending = w.count
    let pos = w.pos
    for (const rowEnd = p + cols * 3; p < rowEnd; p += 3) {
      // Literal: green (9 bits), red (8), blue (8); red and blue codes are the bit-reversed byte, alpha is implicit.
      acc |= (GREEN[latent[p + 1]!]! | (REVERSED[latent[p]!]! << 9)) << pending
      out[pos] = acc
      out[pos + 1] = acc >>> 8
      acc >>>= 16
      acc |= (REVERSED[latent[p + 2]!]! | (RUN_BITS << 8)) << (pending + 1)
      out[pos + 2] = acc
      out[pos + 3] = acc >>> 8
      acc >>>= 16
      pos += 4
    }
    w.acc = acc
    w.pos = pos
    // The other seven rows: 7·width pixels copied from the row above, as copies of at most 4096 pixels.
    for (const [bits, n] of rowCopies) w.write(bits, n)
  }
  const end = w.finish()
  const chunkSize = end - 20
  if (chunkSize & 1) out[end] = 0 // RIFF pad byte
  const padded = end + (chunkSize & 1)
  writeAscii(out, 0, 'RIFF')
  writeU32le(out, 4, padded - 8)
  writeAscii(out, 8, 'WEBPVP8L')
  writeU32le(out, 16, chunkSize)
  return out.slice(0, padded)
}

function writeU32le(out: Uint8Array, at: number, v: number): void {
  out[at] = v & 0xff
  out[at + 1] = (v >>> 8) & 0xff
  out[at + 2] = (v >>> 16) & 0xff
  out[at + 3] = v >>> 24
}

function writeAscii(out: Uint8Array, at: number, s: string): void {
  for (let i = 0; i < s.length; i++) out[at + i] = s.charCodeAt(i)
}

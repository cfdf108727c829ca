// PNG (colour type 2, 8-bit) with a hand-built zlib stream, in work proportional to the latent cells, not the pixels.
// One fixed-Huffman DEFLATE block: each cell row becomes one unfiltered scanline (per cell three literals and a
// 21-byte copy from distance 3) and seven Up-filtered scanlines (byte 2, then zeros as distance-1 copies, rendered
// once per width). Adler-32 is computed in closed form over runs; CRC-32 runs over the compressed bytes only.

import { BitWriter, reverseBits, scratch } from './bit-writer.js'
import { crc32 } from './crc32.js'
import { checkLatent } from './paint-latent.js'

const ADLER_MOD = 65521
const MAX_COPY = 258

/** Fixed-Huffman literal/length codes (RFC 1951 §3.2.6), bit-reversed, and their lengths. */
const LIT_CODE = new Uint16Array(288)
const LIT_LEN = new Uint8Array(288)
for (let s = 0; s < 288; s++) {
  const [base, first, len] = s < 144 ? [0x30, 0, 8] : s < 256 ? [0x190, 144, 9] : s < 280 ? [0, 256, 7] : [0xc0, 280, 8]
  LIT_CODE[s] = reverseBits(base + s - first, len)
  LIT_LEN[s] = len
}

/** For each copy length 3..258: the length symbol's code followed by its extra bits, as one write. */
const COPY_BITS = new Uint32Array(MAX_COPY + 1)
const COPY_NBITS = new Uint8Array(MAX_COPY + 1)
{
  const bases = [
    3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227,
  ]
  const extras = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5]
  for (let length = 3; length <= MAX_COPY; length++) {
    let i = bases.length - 1
    while (bases[i]! > length) i--
    const [symbol, extra, extraBits] = length === MAX_COPY ? [285, 0, 0] : [257 + i, length - bases[i]!, extras[i]!]
    COPY_BITS[length] = LIT_CODE[symbol]! | (extra << LIT_LEN[symbol]!)
    COPY_NBITS[length] = LIT_LEN[symbol]! + extraBits
  }
}

/** Fixed 5-bit distance codes for the two distances used: 1 (code 0) and 3 (code 2); neither has extra bits. */
const DIST_1 = reverseBits(0, 5)
const DIST_3 = reverseBits(2, 5)

const FILTER_NONE = LIT_CODE[0]!

/** The 8-pixel run that completes a cell's first row: copy 21 bytes from distance 3. */
const RUN_BITS = COPY_BITS[21]! | (DIST_3 << COPY_NBITS[21]!)
const RUN_NBITS = COPY_NBITS[21]! + 5

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]

/**
 * Encodes a latent grid (one RGB cell per 8×8 block) as an 8-bit RGB PNG, in time proportional to the cells.
 * @example
 * const png = encodePng(paintLatent('a red fox', 42, 512, 512), 512, 512)
 * new Blob([png], { type: 'image/png' })
 */
export function encodePng(latent: Uint8Array, width: number, height: number): Uint8Array {
  checkLatent(latent, width, height)
  const cols = width / 8
  const rows = height / 8
  const rowBytes = 1 + 3 * width

  const up = upRows(width)

  // Upper bound of the zlib stream: header, block header, worst-case literals (9 bits), copies, EOB, Adler-32.
  const maxBits = 3 + rows * (8 + cols * (27 + RUN_NBITS) + up.bits) + 7
  const zlibMax = 2 + Math.ceil(maxBits / 8) + 4
  const out = scratch(8 + 25 + 8 + zlibMax + 4 + 12)

  out.set(PNG_SIGNATURE, 0)
  writeU32(out, 8, 13)
  writeAscii(out, 12, 'IHDR')
  writeU32(out, 16, width)
  writeU32(out, 20, height)
  out[24] = 8 // bit depth
  out[25] = 2 // colour type: truecolour
  out[26] = 0 // compression method
  out[27] = 0 // filter method
  out[28] = 0 // interlace method
  writeU32(out, 29, crc32(out, 12, 29))
  writeAscii(out, 37, 'IDAT')
  const dataStart = 41
  out[dataStart] = 0x78 // CMF: deflate, 32 KiB window
  out[dataStart + 1] = 0x01 // FLG: no dictionary, fastest; (0x78 << 8 | 0x01) % 31 === 0

  const w = new BitWriter(out, dataStart + 2)
  w.write(0b011, 3) // BFINAL = 1, BTYPE = 01 (fixed Huffman)
  let a = 1
  let b = 0
  // Hot loop: BitWriter.write inlined on locals; fewer than 8 bits pending between writes, writes of 16..23 bits.
  let acc = w.acc
  let count = w.count
  let pos = w.pos
  for (let y = 0, p = 0; y < rows; y++) {
    // First scanline of the cell row: filter None, each cell = one literal pixel + a copy of its 7 repeats.
    acc |= FILTER_NONE << count
    count += 8
    out[pos++] = acc
    acc >>>= 8
    count -= 8
    b += a
    for (const rowEnd = p + cols * 3; p < rowEnd; p += 3) {
      const r = latent[p]!
      const g = latent[p + 1]!
      const bl = latent[p + 2]!
      const lr = LIT_LEN[r]!
      acc |= (LIT_CODE[r]! | (LIT_CODE[g]! << lr)) << count
      count += lr + LIT_LEN[g]! - 16
      // 16..25 bits pending: store two bytes, then a third if 8 or more remain.
      out[pos] = acc
      out[pos + 1] = acc >>> 8
      pos += 2
      acc >>>= 16
      if (count >= 8) {
        out[pos++] = acc
        acc >>>= 8
        count -= 8
      }
      const lb = LIT_LEN[bl]!
      acc |= (LIT_CODE[bl]! | (RUN_BITS << lb)) << count
      count += lb + RUN_NBITS - 16
      // 22..30 bits pending: likewise.
      out[pos] = acc
      out[pos + 1] = acc >>> 8
      pos += 2
      acc >>>= 16
      if (count >= 8) {
        out[pos++] = acc
        acc >>>= 8
        count -= 8
      }
      // Adler-32 of (r, g, b) × 8 in closed form: A grows by 8(r+g+b), B by 24·A plus position-weighted sums.
      // Reduced once per row: even 16384 pixels wide, A < 2^24 and B < 2^40 there, far below 2^53.
      b += 24 * a + 108 * r + 100 * g + 92 * bl
      a += 8 * (r + g + bl)
    }
    a %= ADLER_MOD
    b %= ADLER_MOD
    // Seven Up-filtered scanlines, pre-rendered for the current bit offset; the pending bits go into its first byte.
    const bytes = up.bytes[count]!
    out.set(bytes, pos)
    out[pos] = out[pos]! | acc
    pos += bytes.length
    acc = up.tailAcc[count]!
    count = up.tailCount[count]!
    // Each is byte 2 then 3·width zeros: zeros leave A alone and add A to B each.
    for (let k = 0; k < 7; k++) {
      a = (a + 2) % ADLER_MOD
      b = (b + rowBytes * a) % ADLER_MOD
    }
  }
  w.acc = acc
  w.count = count
  w.pos = pos
  w.write(0, LIT_LEN[256]!) // end of block (code 0000000)
  let end = w.finish()
  writeU32(out, end, (b << 16) | a)
  end += 4
  writeU32(out, 33, end - dataStart)
  writeU32(out, end, crc32(out, 37, end))
  end += 4
  writeU32(out, end, 0)
  writeAscii(out, end + 4, 'IEND')
  writeU32(out, end + 8, 0xae426082)
  return out.slice(0, end + 12)
}

/** Bytes of a PNG around its compressed data: signature, IHDR, IDAT header, zlib header, Adler-32, IDAT CRC, IEND. */
const PNG_OVERHEAD = 8 + 25 + 8 + 2 + 4 + 4 + 12

/** Bits of the DEFLATE block besides the cells' literals: its header (3) and end-of-block code (7). */
const BLOCK_BITS = 3 + 7

/**
 * The length of `encodePng(latent, width, height)` without encoding it, in time proportional to the cells: every
 * code but a literal's is fixed by the size, and a literal takes 9 bits for byte values from 144, else 8.
 * @example pngByteLength(latent, 512, 512) === encodePng(latent, 512, 512).length // true
 */
export function pngByteLength(latent: Uint8Array, width: number, height: number): number {
  checkLatent(latent, width, height)
  return pngByteLengthFrom144(from144(latent), width, height)
}

/**
 * The length of the PNG of a width × height latent with `wideBytes` bytes of 144 or more (see `countLatentFrom144`),
 * all the rest of its length being fixed by the size.
 * @example pngByteLengthFrom144(countLatentFrom144('a fox', 42, 512, 512), 512, 512) === encodePng(paintLatent('a fox', 42, 512, 512), 512, 512).length
 */
export function pngByteLengthFrom144(wideBytes: number, width: number, height: number): number {
  const cols = width / 8
  const rows = height / 8
  const bits = BLOCK_BITS + rows * (LIT_LEN[0]! + cols * (3 * 8 + RUN_NBITS) + upRows(width).bits) + wideBytes
  return PNG_OVERHEAD + Math.ceil(bits / 8)
}

/** How many bytes are 144 or more (their literals take 9 bits): four at a time when the bytes are 4-byte aligned. */
function from144(latent: Uint8Array): number {
  let count = 0
  let i = 0
  if (latent.byteOffset % 4 === 0) {
    const words = new Uint32Array(latent.buffer, latent.byteOffset, latent.length >> 2)
    for (; i < words.length; i++) {
      const x = words[i]!
      // Bit 7 of each byte: set in x (≥ 128) and in its low 7 bits plus 0x70, which carries into it when they are
      // ≥ 16 (and never past it): together, the byte is ≥ 144. The multiply sums the four flags in the top byte.
      const flags = (((x & 0x7f7f7f7f) + 0x70707070) & x & 0x80808080) >>> 7
      count += Math.imul(flags, 0x01010101) >>> 24
    }
    i = words.length * 4
  }
  // Byte + 112 reaches 256 from 144: no branch for random bytes to mispredict.
  for (; i < latent.length; i++) count += (latent[i]! + 112) >> 8
  return count
}

/** The seven Up-filtered scanlines after a cell row's first one, rendered once per width for each bit offset. */
interface UpRows {
  /** Whole bytes, indexed by the number of bits pending before them (their low bits are left zero). */
  bytes: Uint8Array[]
  /** Bits left pending after them, and how many, by the same index. */
  tailAcc: Uint8Array
  tailCount: Uint8Array
  /** Their length in bits. */
  bits: number
}
const upRowsByWidth = new Map<number, UpRows>()

function upRows(width: number): UpRows {
  const cached = upRowsByWidth.get(width)
  if (cached) return cached
  // One scanline: filter byte 2, a literal zero, then the other 3·width − 1 zeros as distance-1 copies (3..258).
  const writes: [number, number][] = [[LIT_CODE[2]! | (LIT_CODE[0]! << 8), 16]]
  for (let left = 3 * width - 1; left > 0; ) {
    const n = left <= MAX_COPY ? left : left - MAX_COPY < 3 ? left - 3 : MAX_COPY
    writes.push([COPY_BITS[n]! | (DIST_1 << COPY_NBITS[n]!), COPY_NBITS[n]! + 5])
    left -= n
  }
  const bits = 7 * writes.reduce((sum, [, n]) => sum + n, 0)
  const up: UpRows = { bytes: [], tailAcc: new Uint8Array(8), tailCount: new Uint8Array(8), bits }
  for (let offset = 0; offset < 8; offset++) {
    const w = new BitWriter(new Uint8Array(Math.ceil((offset + bits) / 8)), 0)
    w.count = offset
    for (let k = 0; k < 7; k++) for (const [code, n] of writes) w.write(code, n)
    up.bytes.push(w.bytes.slice(0, w.pos))
    up.tailAcc[offset] = w.acc
    up.tailCount[offset] = w.count
  }
  if (upRowsByWidth.size >= 256) upRowsByWidth.clear()
  upRowsByWidth.set(width, up)
  return up
}

function writeU32(out: Uint8Array, at: number, v: number): void {
  out[at] = v >>> 24
  out[at + 1] = (v >>> 16) & 0xff
  out[at + 2] = (v >>> 8) & 0xff
  out[at + 3] = v & 0xff
}

function writeAscii(out: Uint8Array, at: number, s: string): void {
  for (let i = 0; i < s.length; i++) out[at + i] = s.charCodeAt(i)
}

// PNG (colour type 2, 8-bit) with a hand-built zlib stream, in work proportional to the latent cells, not the pixels.
// One dynamic-Huffman DEFLATE block whose code gives every byte value the same 9 bits, so the file's length is fixed
// by its size alone (the API answers with it before anything is encoded). Each cell row becomes one unfiltered
// scanline (per cell three literals and a 21-byte copy from distance 3) and seven Up-filtered scanlines (byte 2, then
// zeros as distance-1 copies, rendered once per width). Adler-32 is computed in closed form over runs; CRC-32 runs
// over the compressed bytes only.

import { BitWriter, canonicalCodes, scratch } from './bit-writer.js'
import { crc32 } from './crc32.js'
import { checkLatent, checkSize } from './paint-latent.js'

const ADLER_MOD = 65521
const MAX_COPY = 258

/** Bits of every literal (byte value): 256 codes of 9 bits fill half the code space. */
const LITERAL_BITS = 9

/** Symbol of a copy of 21 bytes (length base 19, 2 extra bits) and of a copy of 258 bytes: the most used copies. */
const COPY_21_SYMBOL = 269
const COPY_258_SYMBOL = 285

/**
 * Code lengths of the literal/length alphabet (symbols 0..285): 9 bits for each byte value; the end of block and the
 * 29 length symbols share the other half, 5 bits for the two copies that every image uses often, 6 for the rest.
 */
const LIT_LENGTHS = Array.from({ length: 286 }, (_, s) =>
  s < 256 ? LITERAL_BITS : s === COPY_21_SYMBOL || s === COPY_258_SYMBOL ? 5 : 6,
)

/** Code lengths of the distance alphabet (codes 0..2): 1 bit each for the two distances used, 1 (code 0) and 3 (code 2). */
const DIST_LENGTHS = [1, 0, 1]

/** The literal/length codes, bit-reversed for the writer, and their lengths. */
const LIT_CODE = canonicalCodes(LIT_LENGTHS)
const LIT_LEN = Uint8Array.from(LIT_LENGTHS)

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
    const [symbol, extra, extraBits] =
      length === MAX_COPY ? [COPY_258_SYMBOL, 0, 0] : [257 + i, length - bases[i]!, extras[i]!]
    COPY_BITS[length] = LIT_CODE[symbol]! | (extra << LIT_LEN[symbol]!)
    COPY_NBITS[length] = LIT_LEN[symbol]! + extraBits
  }
}

const DIST_CODES = canonicalCodes(DIST_LENGTHS)
const DIST_1 = DIST_CODES[0]!
const DIST_3 = DIST_CODES[2]!
const DIST_NBITS = 1

/** The block's header: BFINAL = 1, BTYPE = 10 (dynamic), then the two codes above, as writes of at most 24 bits. */
const BLOCK_HEADER: readonly (readonly [bits: number, n: number])[] = (() => {
  // The code lengths are sent with the code-length code (RFC 1951 §3.2.7): its lengths go in this order, up to the
  // last one used (here 1, the 18th), then each length as its code.
  const order = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]
  const lengthsSent = [...LIT_LENGTHS, ...DIST_LENGTHS]
  // A complete code over the five lengths used: 9 (every literal) the shortest.
  const clLengths = new Array<number>(19).fill(0)
  clLengths[9] = 1
  clLengths[6] = 2
  clLengths[5] = 3
  clLengths[0] = 4
  clLengths[1] = 4
  const clCodes = canonicalCodes(clLengths)
  const hclen = order.indexOf(1) + 1
  const writes: [number, number][] = [
    [0b101, 3],
    [LIT_LENGTHS.length - 257, 5],
    [DIST_LENGTHS.length - 1, 5],
    [hclen - 4, 4],
  ]
  for (let i = 0; i < hclen; i++) writes.push([clLengths[order[i]!]!, 3])
  for (const length of lengthsSent) writes.push([clCodes[length]!, clLengths[length]!])
  return writes
})()
const BLOCK_HEADER_BITS = BLOCK_HEADER.reduce((sum, [, n]) => sum + n, 0)

const FILTER_NONE = LIT_CODE[0]!

/** The 8-pixel run that completes a cell's first row: copy 21 bytes from distance 3. */
const RUN_BITS = COPY_BITS[21]! | (DIST_3 << COPY_NBITS[21]!)
const RUN_NBITS = COPY_NBITS[21]! + DIST_NBITS

/** Bits of one cell of a cell row's first scanline: its three literals and the run. */
const CELL_BITS = 3 * LITERAL_BITS + RUN_NBITS

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

  const out = scratch(fileLength(width, height, up))

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
  for (const [bits, n] of BLOCK_HEADER) w.write(bits, n)
  let a = 1
  let b = 0
  // Hot loop: BitWriter.write inlined on locals; fewer than 8 bits pending between writes, writes of 9..18 bits.
  let acc = w.acc
  let count = w.count
  let pos = w.pos
  for (let y = 0, p = 0; y < rows; y++) {
    // First scanline of the cell row: filter None, each cell = one literal pixel + a copy of its 7 repeats.
    acc |= FILTER_NONE << count
    count += LITERAL_BITS - 8
    out[pos++] = acc
    acc >>>= 8
    if (count >= 8) {
      out[pos++] = acc
      acc >>>= 8
      count -= 8
    }
    b += a
    for (const rowEnd = p + cols * 3; p < rowEnd; p += 3) {
      const r = latent[p]!
      const g = latent[p + 1]!
      const bl = latent[p + 2]!
      acc |= (LIT_CODE[r]! | (LIT_CODE[g]! << LITERAL_BITS)) << count
      count += 2 * LITERAL_BITS - 16
      // 18..25 bits pending: store two bytes, then a third if 8 or more remain.
      out[pos] = acc
      out[pos + 1] = acc >>> 8
      pos += 2
      acc >>>= 16
      if (count >= 8) {
        out[pos++] = acc
        acc >>>= 8
        count -= 8
      }
      acc |= (LIT_CODE[bl]! | (RUN_BITS << LITERAL_BITS)) << count
      count += LITERAL_BITS + RUN_NBITS - 16
      // 17..24 bits pending: likewise.
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
  w.write(LIT_CODE[256]!, LIT_LEN[256]!) // end of block
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

/**
 * The length of `encodePng(latent, width, height)` for any latent of that size, without painting or encoding it:
 * every code the encoder writes, literals included, has a length fixed by the size.
 * @example pngByteLength(512, 512) === encodePng(paintLatent('a fox', 42, 512, 512), 512, 512).length // true
 */
export function pngByteLength(width: number, height: number): number {
  checkSize(width, height)
  return fileLength(width, height, upRows(width))
}

/** The file's length for a checked size, from the size's Up-filtered rows. */
function fileLength(width: number, height: number, up: UpRows): number {
  const bits = BLOCK_HEADER_BITS + (height / 8) * (LITERAL_BITS + (width / 8) * CELL_BITS + up.bits) + LIT_LEN[256]!
  return PNG_OVERHEAD + Math.ceil(bits / 8)
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
  const writes: [number, number][] = [[LIT_CODE[2]! | (LIT_CODE[0]! << LITERAL_BITS), 2 * LITERAL_BITS]]
  for (let left = 3 * width - 1; left > 0; ) {
    const n = left <= MAX_COPY ? left : left - MAX_COPY < 3 ? left - 3 : MAX_COPY
    writes.push([COPY_BITS[n]! | (DIST_1 << COPY_NBITS[n]!), COPY_NBITS[n]! + DIST_NBITS])
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

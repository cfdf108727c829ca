import { BitWriter, reverseBits } from './bit-writer.js'
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
  const bases = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227]
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

/** The 8-pixel run that completes a cell's first row: copy 21 bytes from distance 3. */
const RUN_BITS = COPY_BITS[21]! | (DIST_3 << COPY_NBITS[21]!)
const RUN_NBITS = COPY_NBITS[21]! + 5

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]

/**
 * Encodes a latent grid (one RGB cell per 8×8 block) as an 8-bit RGB PNG, doing work proportional to the cells.
 * Each cell row becomes one unfiltered scanline (three literals and a 21-byte copy per cell) followed by seven
 * Up-filtered scanlines of zeros (runs of distance-1 copies), in one fixed-Huffman DEFLATE block.
 * @example
 * const png = encodePng(paintLatent('a red fox', 42, 512, 512), 512, 512)
 * new Blob([png], { type: 'image/png' })
 */
export function encodePng(latent: Uint8Array, width: number, height: number): Uint8Array {
  checkLatent(latent, width, height)
  const cols = width / 8
  const rows = height / 8
  const rowBytes = 1 + 3 * width

  // The seven Up-filtered scanlines of a cell row: filter byte 2, one literal zero, then distance-1 copies.
  const upBits: number[] = [LIT_CODE[2]! | (LIT_CODE[0]! << 8)]
  const upNBits: number[] = [16]
  for (let left = 3 * width - 1; left > 0; ) {
    const n = left <= MAX_COPY ? left : left - MAX_COPY < 3 ? left - 3 : MAX_COPY
    upBits.push(COPY_BITS[n]! | (DIST_1 << COPY_NBITS[n]!))
    upNBits.push(COPY_NBITS[n]! + 5)
    left -= n
  }
  const upWrites = upBits.length
  const upBitsPerRow = upNBits.reduce((a, b) => a + b, 0)

  // Upper bound of the zlib stream: header, block header, worst-case literals (9 bits), copies, EOB, Adler-32.
  const maxBits = 3 + rows * (8 + cols * (18 + 9 + RUN_NBITS) + 7 * upBitsPerRow) + 7
  const zlibMax = 2 + Math.ceil(maxBits / 8) + 4
  const out = new Uint8Array(8 + 25 + 8 + zlibMax + 4 + 12)

  out.set(PNG_SIGNATURE, 0)
  writeU32(out, 8, 13)
  writeAscii(out, 12, 'IHDR')
  writeU32(out, 16, width)
  writeU32(out, 20, height)
  out[24] = 8 // bit depth
  out[25] = 2 // colour type: truecolour
  // compression, filter and interlace methods: 0
  writeU32(out, 29, crc32(out, 12, 29))
  writeAscii(out, 37, 'IDAT')
  const dataStart = 41
  out[dataStart] = 0x78 // CMF: deflate, 32 KiB window
  out[dataStart + 1] = 0x01 // FLG: no dictionary, fastest; (0x78 << 8 | 0x01) % 31 === 0

  const w = new BitWriter(out, dataStart + 2)
  w.write(0b011, 3) // BFINAL = 1, BTYPE = 01 (fixed Huffman)
  let a = 1
  let b = 0
  const filterNone = LIT_CODE[0]!
  const filterNoneBits = LIT_LEN[0]!
  for (let y = 0; y < rows; y++) {
    // First scanline of the cell row: filter None, each cell = one literal pixel + a copy of its 7 repeats.
    w.write(filterNone, filterNoneBits)
    b += a
    let p = y * cols * 3
    for (let x = 0; x < cols; x++, p += 3) {
      const r = latent[p]!
      const g = latent[p + 1]!
      const bl = latent[p + 2]!
      w.write(LIT_CODE[r]! | (LIT_CODE[g]! << LIT_LEN[r]!), LIT_LEN[r]! + LIT_LEN[g]!)
      w.write(LIT_CODE[bl]! | (RUN_BITS << LIT_LEN[bl]!), LIT_LEN[bl]! + RUN_NBITS)
      // Adler-32 of (r, g, b) × 8 in closed form: A grows by 8(r+g+b), B by 24·A plus position-weighted sums.
      b = (b + 24 * a + 108 * r + 100 * g + 92 * bl) % ADLER_MOD
      a = (a + 8 * (r + g + bl)) % ADLER_MOD
    }
    // Seven Up-filtered scanlines: byte 2 then 3·width zeros (zeros leave A alone and add A to B each).
    for (let k = 0; k < 7; k++) {
      for (let i = 0; i < upWrites; i++) w.write(upBits[i]!, upNBits[i]!)
      a = (a + 2) % ADLER_MOD
      b = (b + rowBytes * a) % ADLER_MOD
    }
  }
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

function writeU32(out: Uint8Array, at: number, v: number): void {
  out[at] = v >>> 24
  out[at + 1] = (v >>> 16) & 0xff
  out[at + 2] = (v >>> 8) & 0xff
  out[at + 3] = v & 0xff
}

function writeAscii(out: Uint8Array, at: number, s: string): void {
  for (let i = 0; i < s.length; i++) out[at + i] = s.charCodeAt(i)
}

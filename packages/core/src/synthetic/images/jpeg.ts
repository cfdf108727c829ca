// Baseline JFIF JPEG, 4:4:4, Annex K Huffman tables, libjpeg-style quality scaling, in work proportional to the
// latent cells: each 8×8 block is flat, so its DCT has only a DC coefficient and every block codes as a DC difference
// plus an end-of-block, per component. One MCU per cell (Y, Cb, Cr), cells in raster order.

import { scratch } from './bit-writer.js'
import { checkLatent } from './paint-latent.js'

// ITU-T T.81 Annex K: example quantisation tables (natural order) and the standard Huffman tables (K.3).
// biome-ignore format: 8×8 table
const LUMA_QUANT = [
  16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56,
  14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
  49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
]
// biome-ignore format: 8×8 table
const CHROMA_QUANT = [
  17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99, 24, 26, 56, 99, 99, 99, 99, 99,
  47, 66, 99, 99, 99, 99, 99, 99, ...new Array<number>(32).fill(99),
]
const DC_LUMA_BITS = [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0]
const DC_CHROMA_BITS = [0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0]
const DC_VALUES = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]
const AC_LUMA_BITS = [0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7d]
// biome-ignore format: Huffman values
const AC_LUMA_VALUES = [
  0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12, 0x21, 0x31, 0x41, 0x06, 0x13, 0x51, 0x61, 0x07,
  0x22, 0x71, 0x14, 0x32, 0x81, 0x91, 0xa1, 0x08, 0x23, 0x42, 0xb1, 0xc1, 0x15, 0x52, 0xd1, 0xf0,
  0x24, 0x33, 0x62, 0x72, 0x82, 0x09, 0x0a, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x25, 0x26, 0x27, 0x28,
  0x29, 0x2a, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49,
  0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69,
  0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89,
  0x8a, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
  0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3, 0xc4, 0xc5,
  0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xe1, 0xe2,
  0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8,
  0xf9, 0xfa,
]
const AC_CHROMA_BITS = [0, 2, 1, 2, 4, 4, 3, 4, 7, 5, 4, 4, 0, 1, 2, 0x77]
// biome-ignore format: Huffman values
const AC_CHROMA_VALUES = [
  0x00, 0x01, 0x02, 0x03, 0x11, 0x04, 0x05, 0x21, 0x31, 0x06, 0x12, 0x41, 0x51, 0x07, 0x61, 0x71,
  0x13, 0x22, 0x32, 0x81, 0x08, 0x14, 0x42, 0x91, 0xa1, 0xb1, 0xc1, 0x09, 0x23, 0x33, 0x52, 0xf0,
  0x15, 0x62, 0x72, 0xd1, 0x0a, 0x16, 0x24, 0x34, 0xe1, 0x25, 0xf1, 0x17, 0x18, 0x19, 0x1a, 0x26,
  0x27, 0x28, 0x29, 0x2a, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48,
  0x49, 0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68,
  0x69, 0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87,
  0x88, 0x89, 0x8a, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0xa2, 0xa3, 0xa4, 0xa5,
  0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3,
  0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda,
  0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8,
  0xf9, 0xfa,
]

/** Zigzag scan order: ZIGZAG[k] is the natural (row-major) index of the k-th coefficient. */
const ZIGZAG = (() => {
  const order: number[] = []
  for (let s = 0; s < 15; s++) {
    const lo = Math.max(0, s - 7)
    const hi = Math.min(s, 7)
    // Even diagonals run bottom-left to top-right (row decreasing), odd ones the other way.
    for (let i = 0; i <= hi - lo; i++) {
      const row = s % 2 === 0 ? hi - i : lo + i
      order.push(row * 8 + (s - row))
    }
  }
  return order
})()

/** Canonical JPEG Huffman codes (MSB-first) and lengths for a BITS/HUFFVAL pair, indexed by symbol. */
function huffmanCodes(bits: number[], values: number[]): { code: Uint16Array; len: Uint8Array } {
  const code = new Uint16Array(256)
  const len = new Uint8Array(256)
  let next = 0
  let k = 0
  for (let l = 1; l <= 16; l++) {
    for (let i = 0; i < bits[l - 1]!; i++) {
      const symbol = values[k++]!
      code[symbol] = next++
      len[symbol] = l
    }
    next <<= 1
  }
  return { code, len }
}

/** Largest DC difference magnitude: DC values span ±1024 at quality 100 (8·128 / step 1). */
const MAX_DIFF = 2047

/**
 * For one component class, the whole code of a flat block indexed by DC difference + 2047: the DC category's
 * Huffman code, the difference in that many bits (negative values as diff − 1), then the AC end-of-block code.
 * At most 9 + 11 + 4 (luma) or 11 + 11 + 2 (chroma) = 24 bits.
 */
function flatBlockCodes(
  dcBits: number[],
  acBits: number[],
  acValues: number[],
): { bits: Uint32Array; len: Uint8Array } {
  const dc = huffmanCodes(dcBits, DC_VALUES)
  const ac = huffmanCodes(acBits, acValues)
  const eobCode = ac.code[0]!
  const eobLen = ac.len[0]!
  const bits = new Uint32Array(2 * MAX_DIFF + 1)
  const len = new Uint8Array(2 * MAX_DIFF + 1)
  for (let diff = -MAX_DIFF; diff <= MAX_DIFF; diff++) {
    const size = 32 - Math.clz32(Math.abs(diff))
    const extra = (diff < 0 ? diff - 1 : diff) & ((1 << size) - 1)
    bits[diff + MAX_DIFF] = (((dc.code[size]! << size) | extra) << eobLen) | eobCode
    len[diff + MAX_DIFF] = dc.len[size]! + size + eobLen
  }
  return { bits, len }
}
const LUMA = flatBlockCodes(DC_LUMA_BITS, AC_LUMA_BITS, AC_LUMA_VALUES)
const CHROMA = flatBlockCodes(DC_CHROMA_BITS, AC_CHROMA_BITS, AC_CHROMA_VALUES)

/** libjpeg's quality scaling of a base table, clamped to baseline's 1..255. */
function scaleTable(base: number[], quality: number): number[] {
  const scale = quality < 50 ? Math.floor(5000 / quality) : 200 - quality * 2
  return base.map((q) => Math.min(255, Math.max(1, Math.floor((q * scale + 50) / 100))))
}

/** Headers from SOI to the end of SOS for one quality, with zeros where SOF0 holds the height and width. */
interface Header {
  bytes: Uint8Array
  /** Offset of SOF0's 16-bit height; the width follows it. */
  sizeAt: number
  /**
   * Quantised DC of a flat block per channel value, in 16.16 fixed point: for Y, rows R, G, B at offsets 0, 256, 512
   * and the level shift and rounding folded into row R; then Cb (768…) and Cr (1536…). DC = 8·(level − 128) / step.
   */
  dc: Int32Array
}
const headers = new Map<number, Header>()

function header(quality: number): Header {
  const cached = headers.get(quality)
  if (cached) return cached
  const luma = scaleTable(LUMA_QUANT, quality)
  const chroma = scaleTable(CHROMA_QUANT, quality)
  const b: number[] = [0xff, 0xd8]
  const segment = (marker: number, body: number[]): void => {
    b.push(0xff, marker, (body.length + 2) >> 8, (body.length + 2) & 0xff, ...body)
  }
  // JFIF 1.01, no units, 1:1 pixel aspect, no thumbnail.
  segment(0xe0, [0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0])
  segment(0xdb, [0, ...ZIGZAG.map((i) => luma[i]!), 1, ...ZIGZAG.map((i) => chroma[i]!)])
  const sizeAt = b.length + 5
  // Baseline, 8-bit, 3 components (Y, Cb, Cr), each sampled 1×1 (4:4:4); Y uses table 0, chroma table 1.
  segment(0xc0, [8, 0, 0, 0, 0, 3, 1, 0x11, 0, 2, 0x11, 1, 3, 0x11, 1])
  const table = (cls: number, bits: number[], values: number[]): number[] => [cls, ...bits, ...values]
  segment(0xc4, [
    ...table(0x00, DC_LUMA_BITS, DC_VALUES),
    ...table(0x10, AC_LUMA_BITS, AC_LUMA_VALUES),
    ...table(0x01, DC_CHROMA_BITS, DC_VALUES),
    ...table(0x11, AC_CHROMA_BITS, AC_CHROMA_VALUES),
  ])
  segment(0xda, [3, 1, 0x00, 2, 0x11, 3, 0x11, 0, 63, 0])
  const h = { bytes: Uint8Array.from(b), sizeAt, dc: dcTables(8 / luma[0]!, 8 / chroma[0]!) }
  headers.set(quality, h)
  return h
}

/** JFIF RGB → YCbCr weights, rows Y, Cb, Cr (Cb and Cr without their +128, which the level shift cancels). */
// biome-ignore format: 3×3 matrix
const YCBCR = [
  0.299, 0.587, 0.114,
  -0.168736, -0.331264, 0.5,
  0.5, -0.418688, -0.081312,
]

function dcTables(kLuma: number, kChroma: number): Int32Array {
  const t = new Int32Array(9 * 256)
  for (let c = 0; c < 3; c++) {
    const k = (c === 0 ? kLuma : kChroma) * 65536
    // Level shift (Y only) and +0.5 for rounding, added once through the R row.
    const offset = (c === 0 ? -128 * k : 0) + 32768
    for (let ch = 0; ch < 3; ch++) {
      for (let v = 0; v < 256; v++) {
        t[(c * 3 + ch) * 256 + v] = Math.round(YCBCR[c * 3 + ch]! * v * k + (ch === 0 ? offset : 0))
      }
    }
  }
  return t
}

/**
 * Encodes a latent grid (one RGB cell per 8×8 block) as a baseline 4:4:4 JFIF JPEG of the given quality (1..100).
 * @example
 * const jpeg = encodeJpeg(paintLatent('a red fox', 42, 512, 512), 512, 512, 85)
 * new Blob([jpeg], { type: 'image/jpeg' })
 */
export function encodeJpeg(latent: Uint8Array, width: number, height: number, quality = 90): Uint8Array {
  checkLatent(latent, width, height)
  if (!Number.isInteger(quality) || quality < 1 || quality > 100) {
    throw new RangeError(`quality must be an integer in 1..100, got ${quality}`)
  }
  const h = header(quality)
  const cells = latent.length / 3
  // Worst case per cell: three 24-bit codes, every byte stuffed; plus EOI.
  const out = scratch(h.bytes.length + cells * 18 + 4)
  out.set(h.bytes)
  out[h.sizeAt] = height >> 8
  out[h.sizeAt + 1] = height & 0xff
  out[h.sizeAt + 2] = width >> 8
  out[h.sizeAt + 3] = width & 0xff
  let pos = h.bytes.length

  const dc = h.dc
  const { bits: yBits, len: yLen } = LUMA
  const { bits: cBits, len: cLen } = CHROMA
  // MSB-first bit accumulator; fewer than 8 bits pending between codes, codes ≤ 24 bits, so it fits in 32.
  let acc = 0
  let count = 0
  let prevY = 0
  let prevCb = 0
  let prevCr = 0
  for (let p = 0; p < latent.length; p += 3) {
    const r = latent[p]!
    const g = latent[p + 1]! + 256
    const b = latent[p + 2]! + 512
    // Flat 8×8 block: the only coefficient is DC = 8·(level − 128), quantised; one code per component.
    const y = (dc[r]! + dc[g]! + dc[b]!) >> 16
    const cb = (dc[768 + r]! + dc[768 + g]! + dc[768 + b]!) >> 16
    const cr = (dc[1536 + r]! + dc[1536 + g]! + dc[1536 + b]!) >> 16
    let i = y - prevY + MAX_DIFF
    acc = (acc << yLen[i]!) | yBits[i]!
    count += yLen[i]!
    while (count >= 8) {
      count -= 8
      const byte = (acc >>> count) & 0xff
      out[pos++] = byte
      if (byte === 0xff) out[pos++] = 0 // byte stuffing
    }
    i = cb - prevCb + MAX_DIFF
    acc = (acc << cLen[i]!) | cBits[i]!
    count += cLen[i]!
    while (count >= 8) {
      count -= 8
      const byte = (acc >>> count) & 0xff
      out[pos++] = byte
      if (byte === 0xff) out[pos++] = 0
    }
    i = cr - prevCr + MAX_DIFF
    acc = (acc << cLen[i]!) | cBits[i]!
    count += cLen[i]!
    while (count >= 8) {
      count -= 8
      const byte = (acc >>> count) & 0xff
      out[pos++] = byte
      if (byte === 0xff) out[pos++] = 0
    }
    prevY = y
    prevCb = cb
    prevCr = cr
  }
  if (count > 0) {
    // Pad the last byte with 1-bits.
    const byte = ((acc << (8 - count)) | ((1 << (8 - count)) - 1)) & 0xff
    out[pos++] = byte
    if (byte === 0xff) out[pos++] = 0
  }
  out[pos++] = 0xff
  out[pos++] = 0xd9
  return out.slice(0, pos)
}

/** Slicing-by-8 tables for the CRC-32 of ISO 3309 / PNG (reflected polynomial 0xedb88320): 8 × 256 entries. */
const TABLES = (() => {
  const t = new Int32Array(8 * 256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    t[n] = c
  }
  for (let n = 0; n < 256; n++) {
    let c = t[n]!
    for (let k = 1; k < 8; k++) {
      c = t[c & 0xff]! ^ (c >>> 8)
      t[k * 256 + n] = c
    }
  }
  return t
})()

/**
 * CRC-32 (as used by PNG chunks and zlib's gzip) of `bytes[start, end)`.
 * @example
 * crc32(new TextEncoder().encode('IEND')) // 0xae426082
 */
export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  const t = TABLES
  // Little-endian 32-bit reads through a DataView: about a third faster in V8 than assembling bytes.
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let c = -1
  let i = start
  for (const last8 = end - 8; i <= last8; i += 8) {
    const lo = c ^ view.getInt32(i, true)
    const hi = view.getInt32(i + 4, true)
    c =
      t[1792 + (lo & 0xff)]! ^
      t[1536 + ((lo >>> 8) & 0xff)]! ^
      t[1280 + ((lo >>> 16) & 0xff)]! ^
      t[1024 + (lo >>> 24)]! ^
      t[768 + (hi & 0xff)]! ^
      t[512 + ((hi >>> 8) & 0xff)]! ^
      t[256 + ((hi >>> 16) & 0xff)]! ^
      t[hi >>> 24]!
  }
  for (; i < end; i++) c = t[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8)
  return (c ^ -1) >>> 0
}

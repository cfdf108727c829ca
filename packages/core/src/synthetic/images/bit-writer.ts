/**
 * An LSB-first bit writer (the bit order of DEFLATE and WebP lossless) over a preallocated byte array.
 * Huffman codes must be passed already bit-reversed. Writes past the end of `bytes` are dropped by the typed array,
 * so callers size the array from an upper bound and check {@link BitWriter.finish} against it.
 * @example
 * const w = new BitWriter(new Uint8Array(4), 0)
 * w.write(0b101, 3)
 * w.finish() // 1, and w.bytes[0] === 0b101
 */
export class BitWriter {
  readonly bytes: Uint8Array
  /** Index of the next whole byte to write. */
  pos: number
  private acc = 0
  private count = 0

  constructor(bytes: Uint8Array, start: number) {
    this.bytes = bytes
    this.pos = start
  }

  /** Appends the low `n` bits of `bits` (0 ≤ n ≤ 24), least significant bit first. */
  write(bits: number, n: number): void {
    let acc = this.acc | (bits << this.count)
    let count = this.count + n
    while (count >= 8) {
      this.bytes[this.pos++] = acc & 0xff
      acc >>>= 8
      count -= 8
    }
    this.acc = acc
    this.count = count
  }

  /** Pads the last partial byte with zero bits and returns the index just past the written data. */
  finish(): number {
    if (this.count > 0) this.bytes[this.pos++] = this.acc & 0xff
    this.acc = 0
    this.count = 0
    if (this.pos > this.bytes.length) throw new RangeError('BitWriter: output buffer too small')
    return this.pos
  }
}

/**
 * Reverses the low `n` bits of `code`, turning an MSB-first Huffman code into the order {@link BitWriter} writes.
 * @example
 * reverseBits(0b110, 3) // 0b011
 */
export function reverseBits(code: number, n: number): number {
  let out = 0
  for (let i = 0; i < n; i++) {
    out = (out << 1) | (code & 1)
    code >>>= 1
  }
  return out
}

/**
 * Canonical Huffman codes (RFC 1951 §3.2.2) for the given code lengths, already bit-reversed for {@link BitWriter}.
 * @example
 * canonicalCodes([1, 2, 2]) // Uint32Array [0b0, 0b01, 0b11]
 */
export function canonicalCodes(lengths: ArrayLike<number>): Uint32Array {
  const counts = new Uint32Array(16)
  for (let i = 0; i < lengths.length; i++) counts[lengths[i] ?? 0]!++
  counts[0] = 0
  const next = new Uint32Array(16)
  let code = 0
  for (let len = 1; len < 16; len++) {
    code = (code + counts[len - 1]!) << 1
    next[len] = code
  }
  const codes = new Uint32Array(lengths.length)
  for (let i = 0; i < lengths.length; i++) {
    const len = lengths[i] ?? 0
    if (len > 0) codes[i] = reverseBits(next[len]!++, len)
  }
  return codes
}

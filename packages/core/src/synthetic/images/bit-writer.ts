// Shared plumbing of the PNG and WebP encoders: both bitstreams (DEFLATE, VP8L) are packed least significant bit
// first, with Huffman codes stored bit-reversed.

/** Largest scratch buffer kept between calls; bigger outputs get a one-off buffer. */
const MAX_KEPT_SCRATCH = 1 << 20
let kept = new Uint8Array(0)

// Encoders write every byte they use of the scratch buffer and return a `slice` of it, so one encode allocates only its
// result. Not reentrant, which is fine: encoders are synchronous.
/**
 * A reusable working buffer of at least `size` bytes, with stale contents.
 * @example
 * const buf = scratch(1024)
 * buf[0] = 0x89
 * const result = buf.slice(0, 1)
 */
export function scratch(size: number): Uint8Array {
  if (size > MAX_KEPT_SCRATCH) return new Uint8Array(size)
  if (kept.length < size) kept = new Uint8Array(Math.max(size, Math.min(MAX_KEPT_SCRATCH, kept.length * 2)))
  return kept
}

// Hot loops may copy `acc`, `count` and `pos` into locals, write with the same steps as `write`, and store them back.
/**
 * An LSB-first bit writer over a preallocated byte array (callers size it from an upper bound).
 * @example
 * const w = new BitWriter(new Uint8Array(4), 0)
 * w.write(0b101, 3)
 * w.finish() // 1, and w.bytes[0] === 0b101
 */
export class BitWriter {
  readonly bytes: Uint8Array
  /** Index of the next whole byte to store. */
  pos: number
  /** Pending bits, fewer than 8 between writes. */
  acc = 0
  /** Number of pending bits in `acc`. */
  count = 0

  constructor(bytes: Uint8Array, start: number) {
    this.bytes = bytes
    this.pos = start
  }

  /** Appends the low `n` bits of `bits` (n ≤ 24), least significant bit first. */
  write(bits: number, n: number): void {
    let acc = this.acc | (bits << this.count)
    let count = this.count + n
    while (count >= 8) {
      this.bytes[this.pos++] = acc
      acc >>>= 8
      count -= 8
    }
    this.acc = acc
    this.count = count
  }

  /** Pads the last partial byte with zero bits and returns the index just past the written data. */
  finish(): number {
    if (this.count > 0) this.bytes[this.pos++] = this.acc
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

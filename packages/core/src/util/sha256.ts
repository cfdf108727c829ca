/** The SHA-256 round constants and initial hash: the fractional bits of the cube and square roots of the primes. */
const K = new Int32Array(64)
const H0 = new Int32Array(8)
for (let prime = 2, found = 0; found < 64; prime += 1) {
  let isPrime = true
  for (let divisor = 2; divisor * divisor <= prime; divisor += 1) if (prime % divisor === 0) isPrime = false
  if (!isPrime) continue
  if (found < 8) H0[found] = ((prime ** (1 / 2) % 1) * 2 ** 32) | 0
  K[found] = ((prime ** (1 / 3) % 1) * 2 ** 32) | 0
  found += 1
}

// The message schedule, the padded message and the hash, reused by every digest (they run synchronously, one at a
// time): a digest per request allocates nothing but its input's bytes.
const W = new Int32Array(64)
let message = new Int32Array(64)
/** The longest padded message kept between digests, in 32-bit words (64 KiB). */
const MAX_KEPT_WORDS = 16_384
const HASH = new Int32Array(8)

/**
 * SHA-256 (FIPS 180-4) of bytes, as eight 32-bit words (signed: `>>> 0` gives the unsigned word), valid until the
 * next digest: read them at once.
 */
function sha256(bytes: Uint8Array): Int32Array {
  const length = ((bytes.length + 72) >> 6) * 16
  // A long message (a body with an image in it) gets an array of its own, so that none stays allocated after it.
  if (message.length < length && length <= MAX_KEPT_WORDS) message = new Int32Array(length)
  const words = length <= message.length ? message.fill(0, 0, length) : new Int32Array(length)
  for (let i = 0; i < bytes.length; i += 1) words[i >> 2]! |= bytes[i]! << (24 - (i & 3) * 8)
  words[bytes.length >> 2]! |= 0x80 << (24 - (bytes.length & 3) * 8)
  words[length - 2] = Math.floor(bytes.length / 2 ** 29)
  words[length - 1] = bytes.length * 8
  const hash = HASH
  hash.set(H0)
  const w = W
  for (let block = 0; block < length; block += 16) {
    for (let t = 0; t < 16; t += 1) w[t] = words[block + t]!
    for (let t = 16; t < 64; t += 1) {
      const x = w[t - 15]!
      const y = w[t - 2]!
      const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)
      const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10)
      w[t] = (w[t - 16]! + s0 + w[t - 7]! + s1) | 0
    }
    let a = hash[0]!
    let b = hash[1]!
    let c = hash[2]!
    let d = hash[3]!
    let e = hash[4]!
    let f = hash[5]!
    let g = hash[6]!
    let h = hash[7]!
    for (let t = 0; t < 64; t += 1) {
      const s1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7))
      const t1 = (h + s1 + ((e & f) ^ (~e & g)) + K[t]! + w[t]!) | 0
      const s0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10))
      const t2 = (s0 + ((a & b) ^ (a & c) ^ (b & c))) | 0
      h = g
      g = f
      f = e
      e = (d + t1) | 0
      d = c
      c = b
      b = a
      a = (t1 + t2) | 0
    }
    hash[0] = hash[0]! + a
    hash[1] = hash[1]! + b
    hash[2] = hash[2]! + c
    hash[3] = hash[3]! + d
    hash[4] = hash[4]! + e
    hash[5] = hash[5]! + f
    hash[6] = hash[6]! + g
    hash[7] = hash[7]! + h
  }
  return hash
}

const encoder = new TextEncoder()

/** Each byte value as two lower-case hex digits. */
const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'))

/**
 * The SHA-256 of a text (UTF-8) as lower-case hex, cut to `hexDigits`. Computed in JavaScript, synchronously, in
 * every runtime: for the short texts hashed per request (request fingerprints, API keys) it costs microseconds, where
 * Web Crypto's `digest` costs a round trip through a thread pool.
 * @default hexDigits 64 (the whole digest)
 * @example sha256Hex('secret', 32) // '2bb80d537b1da3e38bd30361aa855686'
 */
export function sha256Hex(text: string, hexDigits = 64): string {
  const hash = sha256(encoder.encode(text))
  let hex = ''
  for (let i = 0; i < 8; i += 1) {
    const word = hash[i]!
    hex += HEX[word >>> 24]! + HEX[(word >>> 16) & 0xff]! + HEX[(word >>> 8) & 0xff]! + HEX[word & 0xff]!
  }
  return hex.slice(0, hexDigits)
}

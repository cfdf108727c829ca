/** The SHA-256 round constants and initial hash: the fractional bits of the cube and square roots of the primes. */
const K = new Uint32Array(64)
const H0 = new Uint32Array(8)
for (let prime = 2, found = 0; found < 64; prime += 1) {
  let isPrime = true
  for (let divisor = 2; divisor * divisor <= prime; divisor += 1) if (prime % divisor === 0) isPrime = false
  if (!isPrime) continue
  if (found < 8) H0[found] = (prime ** (1 / 2) % 1) * 2 ** 32
  K[found] = (prime ** (1 / 3) % 1) * 2 ** 32
  found += 1
}

const rotr = (x: number, n: number): number => (x >>> n) | (x << (32 - n))

/** SHA-256 (FIPS 180-4) of bytes, as eight 32-bit words. */
function sha256(bytes: Uint8Array): Uint32Array {
  const blocks = (bytes.length + 72) >> 6
  const words = new Uint32Array(blocks * 16)
  for (let i = 0; i < bytes.length; i += 1) words[i >> 2]! |= bytes[i]! << (24 - (i & 3) * 8)
  words[bytes.length >> 2]! |= 0x80 << (24 - (bytes.length & 3) * 8)
  words[words.length - 2] = Math.floor(bytes.length / 2 ** 29)
  words[words.length - 1] = bytes.length * 8
  const hash = H0.slice()
  const w = new Uint32Array(64)
  for (let block = 0; block < words.length; block += 16) {
    w.set(words.subarray(block, block + 16))
    for (let t = 16; t < 64; t += 1) {
      const x = w[t - 15]!
      const y = w[t - 2]!
      w[t] = w[t - 16]! + (rotr(x, 7) ^ rotr(x, 18) ^ (x >>> 3)) + w[t - 7]! + (rotr(y, 17) ^ rotr(y, 19) ^ (y >>> 10))
    }
    let [a, b, c, d, e, f, g, h] = hash as unknown as number[]
    for (let t = 0; t < 64; t += 1) {
      const t1 = (h! + (rotr(e!, 6) ^ rotr(e!, 11) ^ rotr(e!, 25)) + ((e! & f!) ^ (~e! & g!)) + K[t]! + w[t]!) | 0
      const t2 = ((rotr(a!, 2) ^ rotr(a!, 13) ^ rotr(a!, 22)) + ((a! & b!) ^ (a! & c!) ^ (b! & c!))) | 0
      h = g
      g = f
      f = e
      e = (d! + t1) | 0
      d = c
      c = b
      b = a
      a = (t1 + t2) | 0
    }
    hash[0]! += a!
    hash[1]! += b!
    hash[2]! += c!
    hash[3]! += d!
    hash[4]! += e!
    hash[5]! += f!
    hash[6]! += g!
    hash[7]! += h!
  }
  return hash
}

/**
 * The SHA-256 of a text (UTF-8) as lower-case hex, cut to `hexDigits`. Computed in JavaScript, in every runtime:
 * for the short texts hashed per request (request fingerprints, API keys) it costs microseconds, where Web Crypto's
 * `digest` costs a round trip through a thread pool.
 * @default hexDigits 64 (the whole digest)
 * @example await sha256Hex('secret', 32) // '2bb80d537b1da3e38bd30361aa855686'
 */
export async function sha256Hex(text: string, hexDigits = 64): Promise<string> {
  let hex = ''
  for (const word of sha256(new TextEncoder().encode(text))) hex += word.toString(16).padStart(8, '0')
  return hex.slice(0, hexDigits)
}

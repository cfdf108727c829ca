import { describe, expect, it } from 'vitest'
import { sha256Hex } from './sha256.js'

const webCrypto = async (text: string): Promise<string> =>
  Buffer.from(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text))).toString('hex')

describe('sha256Hex', () => {
  it.each([
    ['', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
    ['abc', 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
    [
      'abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq',
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    ],
  ])('gives the FIPS 180-4 digest of %j', async (text, digest) => {
    expect(sha256Hex(text)).toBe(digest)
  })

  it('agrees with Web Crypto at every length around the block and padding boundaries, and on UTF-8', async () => {
    for (let length = 0; length <= 200; length += 1) {
      const text = 'é'.repeat(length % 3) + 'x'.repeat(length)
      expect(sha256Hex(text)).toBe(await webCrypto(text))
    }
  })

  it('gives the same digests in any order of long and short texts, past the 64 KiB it keeps between digests too', async () => {
    const texts = ['y'.repeat(300), 'a', 'z'.repeat(70_000), 'b'.repeat(100), 'c'.repeat(20_000), '']
    for (const text of texts) expect(sha256Hex(text)).toBe(await webCrypto(text))
  })

  it('cuts the digest to hexDigits', async () => {
    expect(sha256Hex('secret', 32)).toBe('2bb80d537b1da3e38bd30361aa855686')
  })
})

import zlib from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { crc32 } from './crc32.js'

describe('crc32', () => {
  it('matches zlib for every length and alignment of a range', () => {
    const bytes = Uint8Array.from({ length: 200 }, (_, i) => (i * 7919 + 13) & 0xff)
    for (let start = 0; start < 9; start++) {
      for (let end = start; end <= 100; end++) {
        expect(crc32(bytes, start, end)).toBe(zlib.crc32(bytes.subarray(start, end)))
      }
    }
    // A view that does not start at its buffer's first byte.
    const view = bytes.subarray(3, 150)
    expect(crc32(view)).toBe(zlib.crc32(view))
    expect(crc32(new TextEncoder().encode('IEND'))).toBe(0xae426082)
  })
})

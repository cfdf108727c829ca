import { describe, expect, it } from 'vitest'
import { encodeJpeg, encodePng, encodeWebp, paintLatent } from '../synthetic/images/index.js'
import { sniffImage } from './sniff.js'
import { pngHeader } from './test-images.js'

const latent = paintLatent('a fox', 1, 64, 48)

describe('sniffImage', () => {
  it.each([
    ['PNG', encodePng(latent, 64, 48), 'image/png'],
    ['JPEG', encodeJpeg(latent, 64, 48, 90), 'image/jpeg'],
    ['WebP', encodeWebp(latent, 64, 48), 'image/webp'],
  ])('reads the format and size of a %s from its bytes', (_, bytes, contentType) => {
    expect(sniffImage(bytes)).toEqual({ contentType, width: 64, height: 48 })
  })

  it('reads the size a PNG header claims without decoding pixels', () => {
    expect(sniffImage(pngHeader(5000, 5000))).toEqual({ contentType: 'image/png', width: 5000, height: 5000 })
  })

  it.each([
    ['GIF magic bytes', new TextEncoder().encode('GIF89a\u0001\u0000\u0001\u0000'), /unknown magic bytes/],
    ['text', new TextEncoder().encode('hello, world'), /not a PNG, JPEG or WebP/],
    ['a truncated PNG', encodePng(latent, 64, 48).subarray(0, 60), /PNG is truncated/],
    ['a PNG without its IEND', encodePng(latent, 64, 48).slice(0, -12), /PNG is truncated/],
    ['a truncated JPEG', encodeJpeg(latent, 64, 48, 90).slice(0, -40), /JPEG is truncated/],
    ['a truncated WebP', encodeWebp(latent, 64, 48).slice(0, -5), /WebP is truncated/],
    ['a PNG of zero pixels', pngHeader(0, 10), /no pixels/],
  ])('says why %s is refused', (_, bytes, reason) => {
    expect(sniffImage(bytes)).toMatch(reason)
  })

  it('refuses a PNG whose chunk fails its CRC', () => {
    const bytes = encodePng(latent, 64, 48).slice()
    bytes[20] = (bytes[20]! + 1) & 255 // inside IHDR's data
    expect(sniffImage(bytes)).toMatch(/fails its CRC/)
  })
})

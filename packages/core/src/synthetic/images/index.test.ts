import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import * as images from './index.js'
import { encodeJpeg, encodePng, encodeWebp, paintLatent } from './index.js'

const ENCODERS = [
  ['png', encodePng],
  ['jpeg', encodeJpeg],
  ['webp', encodeWebp],
] as const

describe('images barrel', () => {
  it('exports exactly the painters, the three encoders and the PNG lengths', () => {
    expect(Object.keys(images).sort()).toEqual([
      'encodeJpeg',
      'encodePng',
      'encodeWebp',
      'paintImageToImage',
      'paintLatent',
      'paintLatentScratch',
      'pngByteLength',
    ])
  })

  it.each([
    [8, 8],
    [8, 1024],
    [4096, 16],
    [1032, 8],
  ])('encodes sizes beyond the API range too: %i×%i', async (width, height) => {
    const latent = paintLatent('edge', 5, width, height)
    for (const [format, encode] of ENCODERS) {
      const { data, info } = await sharp(encode(latent, width, height))
        .raw()
        .toBuffer({ resolveWithObject: true })
      expect([info.width, info.height]).toEqual([width, height])
      // The last pixel is the last cell's colour (within JPEG's rounding).
      const last = (width * height - 1) * info.channels
      const cell = latent.length - 3
      for (let c = 0; c < 3; c++) {
        expect(Math.abs(data[last + c]! - latent[cell + c]!), `${format} channel ${c}`).toBeLessThanOrEqual(2)
      }
    }
  })
})

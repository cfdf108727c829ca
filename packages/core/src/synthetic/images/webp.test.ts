import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { paintLatent } from './paint-latent.js'
import { noiseLatent, SIZES } from './test-latents.js'
import { encodeWebp } from './webp.js'

/** Asserts every decoded pixel equals its latent cell. */
async function expectExact(webp: Uint8Array, latent: Uint8Array, width: number, height: number): Promise<void> {
  const { data, info } = await sharp(webp).raw().toBuffer({ resolveWithObject: true })
  expect(info).toMatchObject({ width, height })
  const ch = info.channels
  let mismatches = 0
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const cell = ((y >> 3) * (width / 8) + (x >> 3)) * 3
      const at = (y * width + x) * ch
      for (let c = 0; c < 3; c++) if (data[at + c] !== latent[cell + c]) mismatches++
      if (ch === 4 && data[at + 3] !== 255) mismatches++
    }
  }
  expect(mismatches).toBe(0)
}

describe('encodeWebp', () => {
  it.each(SIZES)('decodes as a %i×%i lossless WebP whose pixels are the latent cells', async (width, height) => {
    const latent = paintLatent('a lighthouse at dusk', 7, width, height)
    const webp = encodeWebp(latent, width, height)
    expect(await sharp(webp).metadata()).toMatchObject({ format: 'webp', width, height })
    await expectExact(webp, latent, width, height)
  })

  it('decodes random cells exactly', async () => {
    for (const [width, height] of [
      [264, 256],
      [1024, 1024],
    ] as const) {
      const latent = noiseLatent(width, height)
      await expectExact(encodeWebp(latent, width, height), latent, width, height)
    }
  })

  it('writes a well-formed RIFF container holding one VP8L chunk', () => {
    for (const [width, height] of SIZES) {
      const webp = encodeWebp(paintLatent('a fox', 1, width, height), width, height)
      const view = new DataView(webp.buffer, webp.byteOffset, webp.byteLength)
      const text = (at: number) => new TextDecoder().decode(webp.subarray(at, at + 4))
      expect([text(0), text(8), text(12)]).toEqual(['RIFF', 'WEBP', 'VP8L'])
      expect(view.getUint32(4, true)).toBe(webp.length - 8)
      const chunk = view.getUint32(16, true)
      expect(20 + chunk + (chunk & 1)).toBe(webp.length)
      expect(webp[20]).toBe(0x2f)
      const bits = view.getUint32(21, true)
      expect([(bits & 0x3fff) + 1, ((bits >>> 14) & 0x3fff) + 1, bits >>> 29]).toEqual([width, height, 0])
    }
  })

  it('is deterministic, and changes with the prompt or seed', () => {
    const webp = (prompt: string, seed: number) => encodeWebp(paintLatent(prompt, seed, 512, 512), 512, 512)
    const a = webp('a fox', 1)
    const same = (b: Uint8Array) => Buffer.compare(a, b) === 0
    expect(same(webp('a fox', 1))).toBe(true)
    expect(same(webp('a fox', 2))).toBe(false)
    expect(same(webp('a cat', 1))).toBe(false)
  })

  it('rejects a latent of the wrong size', () => {
    expect(() => encodeWebp(new Uint8Array(3), 512, 512)).toThrow(RangeError)
  })
})

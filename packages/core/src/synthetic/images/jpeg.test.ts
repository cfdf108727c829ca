import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { encodeJpeg } from './jpeg.js'
import { paintLatent } from './paint-latent.js'
import { noiseLatent, SIZES } from './test-latents.js'

/** Largest per-channel difference between the decoded pixels and their latent cells, over every pixel. */
async function maxError(jpeg: Uint8Array, latent: Uint8Array, width: number, height: number): Promise<number> {
  const { data, info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true })
  expect(info).toMatchObject({ width, height, channels: 3 })
  let worst = 0
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const cell = ((y >> 3) * (width / 8) + (x >> 3)) * 3
      for (let c = 0; c < 3; c++) worst = Math.max(worst, Math.abs(data[(y * width + x) * 3 + c]! - latent[cell + c]!))
    }
  }
  return worst
}

/** Marker codes in file order, skipping over segment bodies and entropy-coded data. */
function markers(jpeg: Uint8Array): number[] {
  const out: number[] = []
  let at = 0
  while (at < jpeg.length) {
    expect(jpeg[at]).toBe(0xff)
    const marker = jpeg[at + 1]!
    out.push(marker)
    if (marker === 0xd8 || marker === 0xd9) {
      at += 2
      continue
    }
    at += 2 + ((jpeg[at + 2]! << 8) | jpeg[at + 3]!)
    if (marker === 0xda) {
      // Entropy-coded data: every 0xFF is stuffed with 0x00 (no restart markers), up to EOI.
      while (!(jpeg[at] === 0xff && jpeg[at + 1] !== 0)) at += jpeg[at] === 0xff ? 2 : 1
    }
  }
  return out
}

describe('encodeJpeg', () => {
  it.each(SIZES)('decodes as a %i×%i baseline 4:4:4 JPEG close to the latent cells', async (width, height) => {
    const latent = paintLatent('a lighthouse at dusk', 7, width, height)
    const jpeg = encodeJpeg(latent, width, height)
    const meta = await sharp(jpeg).metadata()
    expect(meta).toMatchObject({ format: 'jpeg', width, height, channels: 3, chromaSubsampling: '4:4:4' })
    expect(meta.isProgressive).toBe(false)
    expect(await maxError(jpeg, latent, width, height)).toBeLessThanOrEqual(2)
  })

  it('stays exact within 2 levels on random cells at quality 90 and 100', async () => {
    const latent = noiseLatent(264, 256)
    expect(await maxError(encodeJpeg(latent, 264, 256), latent, 264, 256)).toBeLessThanOrEqual(2)
    expect(await maxError(encodeJpeg(latent, 264, 256, 100), latent, 264, 256)).toBeLessThanOrEqual(2)
  })

  it('lays out SOI, JFIF, tables, one scan and EOI, with stuffed entropy data', () => {
    for (const latent of [noiseLatent(512, 512), paintLatent('a fox', 1, 512, 512)]) {
      expect(markers(encodeJpeg(latent, 512, 512, 100))).toEqual([0xd8, 0xe0, 0xdb, 0xc0, 0xc4, 0xda, 0xd9])
    }
  })

  it('follows the quality setting', async () => {
    const latent = noiseLatent(256, 256)
    expect(encodeJpeg(latent, 256, 256)).toEqual(encodeJpeg(latent, 256, 256, 90))
    const low = encodeJpeg(latent, 256, 256, 10)
    expect(low.length).toBeLessThan(encodeJpeg(latent, 256, 256, 95).length)
    expect((await sharp(low).metadata()).format).toBe('jpeg')
    // Coarse DC steps (quality 1: step 255, about 32 levels) still decode, just less faithfully.
    const worst = await maxError(encodeJpeg(latent, 256, 256, 1), latent, 256, 256)
    expect(worst).toBeGreaterThan(2)
    expect(worst).toBeLessThan(100)
  })

  it('is deterministic, and changes with the prompt or seed', () => {
    const jpeg = (prompt: string, seed: number) => encodeJpeg(paintLatent(prompt, seed, 512, 512), 512, 512)
    const a = jpeg('a fox', 1)
    const same = (b: Uint8Array) => Buffer.compare(a, b) === 0
    expect(same(jpeg('a fox', 1))).toBe(true)
    expect(same(jpeg('a fox', 2))).toBe(false)
    expect(same(jpeg('a cat', 1))).toBe(false)
  })

  it('rejects a bad latent or quality', () => {
    expect(() => encodeJpeg(new Uint8Array(3), 512, 512)).toThrow(RangeError)
    expect(() => encodeJpeg(new Uint8Array(3 * 64), 64, 64, 0)).toThrow(RangeError)
    expect(() => encodeJpeg(new Uint8Array(3 * 64), 64, 64, 101)).toThrow(RangeError)
    expect(() => encodeJpeg(new Uint8Array(3 * 64), 64, 64, 50.5)).toThrow(RangeError)
  })
})

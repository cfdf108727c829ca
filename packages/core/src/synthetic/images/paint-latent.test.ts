import { describe, expect, it } from 'vitest'
import { checkLatent, paintLatent, paintLatentScratch } from './paint-latent.js'

const MAX_SEED = 2 ** 53 - 1

/** Mean absolute difference between two latents, per byte. */
const meanDiff = (a: Uint8Array, b: Uint8Array) => a.reduce((sum, v, i) => sum + Math.abs(v - b[i]!), 0) / a.length

describe('paintLatent', () => {
  it('returns one RGB triple per 8×8 cell', () => {
    for (const [w, h] of [
      [512, 512],
      [256, 1024],
      [1024, 256],
      [520, 264],
    ] as const) {
      const latent = paintLatent('a fox', 1, w, h)
      expect(latent).toBeInstanceOf(Uint8Array)
      expect(latent.length).toBe((w / 8) * (h / 8) * 3)
      expect(() => checkLatent(latent, w, h)).not.toThrow()
    }
  })

  it('is deterministic for the same inputs', () => {
    expect(paintLatent('a fox', 42, 512, 512)).toEqual(paintLatent('a fox', 42, 512, 512))
  })

  it('paints visibly different pictures for a different prompt or seed', () => {
    const base = paintLatent('a fox', 42, 512, 512)
    expect(meanDiff(base, paintLatent('a fax', 42, 512, 512))).toBeGreaterThan(10)
    expect(meanDiff(base, paintLatent('a fox', 43, 512, 512))).toBeGreaterThan(10)
  })

  it('uses both halves of a 53-bit seed', () => {
    const top = paintLatent('a fox', MAX_SEED, 256, 256)
    expect(top.length).toBe(32 * 32 * 3)
    // Same low 32 bits, different high bits.
    expect(meanDiff(top, paintLatent('a fox', MAX_SEED - 2 ** 32, 256, 256))).toBeGreaterThan(10)
    expect(meanDiff(top, paintLatent('a fox', 2 ** 32 - 1, 256, 256))).toBeGreaterThan(10)
  })

  it('looks like an image: several colours, smooth between neighbours', () => {
    for (let seed = 0; seed < 20; seed++) {
      const latent = paintLatent(`prompt ${seed}`, seed, 512, 512)
      const cols = 64
      let neighbour = 0
      let minLuma = 255
      let maxLuma = 0
      for (let i = 0; i < latent.length; i += 3) {
        const luma = 0.299 * latent[i]! + 0.587 * latent[i + 1]! + 0.114 * latent[i + 2]!
        minLuma = Math.min(minLuma, luma)
        maxLuma = Math.max(maxLuma, luma)
        if ((i / 3) % cols !== cols - 1) neighbour += Math.abs(latent[i]! - latent[i + 3]!)
      }
      // Not flat, not static: a clear range of tones, and neighbouring cells differ by a few levels on average.
      expect(maxLuma - minLuma).toBeGreaterThan(30)
      expect(neighbour / (63 * 64)).toBeLessThan(8)
    }
  })

  it('rejects sizes that are not positive multiples of 8 and seeds outside 0..2^53-1', () => {
    expect(() => paintLatent('a', 0, 500, 512)).toThrow(RangeError)
    expect(() => paintLatent('a', 0, 0, 512)).toThrow(RangeError)
    expect(() => paintLatent('a', -1, 512, 512)).toThrow(RangeError)
    expect(() => paintLatent('a', 1.5, 512, 512)).toThrow(RangeError)
    expect(() => paintLatent('a', 2 ** 53, 512, 512)).toThrow(RangeError)
    expect(() => checkLatent(new Uint8Array(10), 8, 8)).toThrow(RangeError)
  })
})

describe('paintLatentScratch', () => {
  it('paints what paintLatent paints, whatever size came before, into one reused array', () => {
    const sizes = [
      [512, 512],
      [8, 8],
      [1024, 256],
      [264, 1024],
      [512, 512],
      [16384, 8],
      [4096, 4096],
    ] as const
    for (const [index, [width, height]] of sizes.entries()) {
      const scratch = paintLatentScratch(`a fox ${index}`, index, width, height)
      expect(Buffer.compare(scratch, paintLatent(`a fox ${index}`, index, width, height)), `${width}×${height}`).toBe(0)
    }
    const first = paintLatentScratch('a fox', 1, 512, 512)
    const copy = first.slice()
    paintLatentScratch('a cat', 2, 512, 512)
    expect(Buffer.compare(first, copy)).not.toBe(0)
  })

  it('paints a latent past the kept size into its own array', () => {
    const huge = paintLatentScratch('a fox', 1, 8192, 4104)
    expect(huge.length).toBe(1024 * 513 * 3)
    expect(paintLatentScratch('a cat', 2, 8, 8).buffer).not.toBe(huge.buffer)
  })

  it('rejects what paintLatent rejects', () => {
    expect(() => paintLatentScratch('a', 0, 500, 512)).toThrow(RangeError)
    expect(() => paintLatentScratch('a', -1, 512, 512)).toThrow(RangeError)
  })
})

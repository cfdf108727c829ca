import zlib from 'node:zlib'
import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { paintLatent } from './paint-latent.js'
import { encodePng, pngByteLength } from './png.js'
import { noiseLatent, SIZES } from './test-latents.js'

interface Chunk {
  type: string
  data: Uint8Array
  crc: number
  /** CRC-32 of type + data, computed here. */
  expectedCrc: number
}

function chunks(png: Uint8Array): Chunk[] {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength)
  const out: Chunk[] = []
  for (let at = 8; at < png.length; ) {
    const length = view.getUint32(at)
    const type = new TextDecoder().decode(png.subarray(at + 4, at + 8))
    out.push({
      type,
      data: png.subarray(at + 8, at + 8 + length),
      crc: view.getUint32(at + 8 + length),
      expectedCrc: zlib.crc32(png.subarray(at + 4, at + 8 + length)),
    })
    at += 12 + length
  }
  return out
}

/** What the IDAT must inflate to: per cell row, one unfiltered scanline then seven Up-filtered (all-zero) ones. */
function expectedScanlines(latent: Uint8Array, width: number, height: number): Uint8Array {
  const rowBytes = 1 + 3 * width
  const out = new Uint8Array(rowBytes * height)
  for (let y = 0; y < height; y++) {
    const row = out.subarray(y * rowBytes, (y + 1) * rowBytes)
    if (y % 8 !== 0) {
      row[0] = 2
      continue
    }
    for (let x = 0; x < width; x++) {
      const cell = ((y / 8) * (width / 8) + (x >> 3)) * 3
      row.set(latent.subarray(cell, cell + 3), 1 + 3 * x)
    }
  }
  return out
}

async function decode(png: Uint8Array) {
  return sharp(png).raw().toBuffer({ resolveWithObject: true })
}

describe('encodePng', () => {
  it.each(SIZES)('decodes as a %i×%i RGB PNG whose pixels are the latent cells', async (width, height) => {
    const latent = paintLatent('a lighthouse at dusk', 7, width, height)
    const png = encodePng(latent, width, height)
    const meta = await sharp(png).metadata()
    expect(meta).toMatchObject({ format: 'png', width, height, channels: 3, depth: 'uchar' })
    const { data, info } = await decode(png)
    expect(info.channels).toBe(3)
    let mismatches = 0
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const cell = ((y >> 3) * (width / 8) + (x >> 3)) * 3
        for (let c = 0; c < 3; c++) if (data[(y * width + x) * 3 + c] !== latent[cell + c]) mismatches++
      }
    }
    expect(mismatches).toBe(0)
  })

  it('inflates to exactly the expected filtered scanlines, with a valid Adler-32 and CRCs', async () => {
    for (const [width, height] of SIZES) {
      for (const latent of [paintLatent('a fox', 3, width, height), noiseLatent(width, height)]) {
        const png = encodePng(latent, width, height)
        const parts = chunks(png)
        expect(parts.map((c) => c.type)).toEqual(['IHDR', 'IDAT', 'IEND'])
        for (const c of parts) expect(c.crc).toBe(c.expectedCrc)
        // inflateSync checks the zlib header and the Adler-32 trailer.
        const raw = zlib.inflateSync(parts[1]!.data)
        expect(Buffer.compare(raw, expectedScanlines(latent, width, height))).toBe(0)
      }
    }
  })

  it('splits row copies correctly for every width from 8 to 2048', () => {
    // Each width gives a different 258-byte split of the 3·width-byte Up-filtered rows.
    for (let width = 8; width <= 2048; width += 8) {
      const latent = noiseLatent(width, 16, width)
      const idat = chunks(encodePng(latent, width, 16))[1]!.data
      expect(Buffer.compare(zlib.inflateSync(idat), expectedScanlines(latent, width, 16))).toBe(0)
    }
  })

  it('decodes random cells exactly (all literal codes)', async () => {
    const latent = noiseLatent(264, 256)
    const { data } = await decode(encodePng(latent, 264, 256))
    let mismatches = 0
    for (let i = 0; i < latent.length / 3; i++) {
      // The far corner of each cell.
      const at = ((Math.floor(i / 33) * 8 + 7) * 264 + (i % 33) * 8 + 7) * 3
      for (let c = 0; c < 3; c++) if (data[at + c] !== latent[i * 3 + c]) mismatches++
    }
    expect(mismatches).toBe(0)
  })

  it('is deterministic, and changes with the prompt or seed', () => {
    const png = (prompt: string, seed: number) => encodePng(paintLatent(prompt, seed, 512, 512), 512, 512)
    const a = png('a fox', 1)
    const same = (b: Uint8Array) => Buffer.compare(a, b) === 0
    expect(same(png('a fox', 1))).toBe(true)
    expect(same(png('a fox', 2))).toBe(false)
    expect(same(png('a cat', 1))).toBe(false)
  })

  it('returns a fresh array each call', () => {
    const latent = paintLatent('a fox', 1, 256, 256)
    const first = encodePng(latent, 256, 256)
    const copy = first.slice()
    encodePng(paintLatent('a cat', 9, 1024, 1024), 1024, 1024)
    expect(first).toEqual(copy)
    expect(first.byteOffset).toBe(0)
    expect(first.buffer.byteLength).toBe(first.length)
  })

  it('rejects a latent of the wrong size', () => {
    expect(() => encodePng(new Uint8Array(3), 512, 512)).toThrow(RangeError)
    expect(() => encodePng(new Uint8Array(3), 12, 8)).toThrow(RangeError)
  })
})

describe('pngByteLength', () => {
  it('is the length encodePng gives for any latent of the size: painted, random, flat, every width', () => {
    const cases: [Uint8Array, number, number][] = []
    for (const [width, height] of SIZES) {
      for (let seed = 0; seed < 4; seed++)
        cases.push([paintLatent(`a fox ${seed}`, seed, width, height), width, height])
      cases.push([noiseLatent(width, height), width, height])
    }
    for (let width = 8; width <= 1024; width += 8) cases.push([noiseLatent(width, 16, width), width, 16])
    // Flat latents of the smallest and largest byte values, whose literals took 8 or 9 bits in a fixed-Huffman block.
    for (const fill of [0, 143, 144, 255]) cases.push([new Uint8Array(3 * 3 * 5).fill(fill), 24, 40])
    for (const [latent, width, height] of cases) {
      expect(pngByteLength(width, height), `${width}×${height}`).toBe(encodePng(latent, width, height).length)
    }
  })

  it('does not depend on the picture: every prompt of a size gives a file of the same length', () => {
    const lengths = new Set(
      ['a fox', 'a lighthouse at dusk', '', 'x'.repeat(500)].map(
        (prompt, seed) => encodePng(paintLatent(prompt, seed, 512, 512), 512, 512).length,
      ),
    )
    expect([...lengths]).toEqual([pngByteLength(512, 512)])
  })

  it('rejects a size the encoder rejects', () => {
    expect(() => pngByteLength(500, 512)).toThrow(RangeError)
    expect(() => pngByteLength(0, 512)).toThrow(RangeError)
  })
})

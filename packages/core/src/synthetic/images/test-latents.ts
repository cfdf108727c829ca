/** Sizes every encoder test decodes: square, tall, wide and not a power of two. */
export const SIZES = [
  [512, 512],
  [256, 256],
  [1024, 1024],
  [256, 1024],
  [1024, 256],
  [520, 264],
] as const

/** A latent of pseudo-random bytes: every byte value, large jumps between cells, saturated colours. */
export function noiseLatent(width: number, height: number, seed = 1): Uint8Array {
  const out = new Uint8Array((width / 8) * (height / 8) * 3)
  let s = seed
  for (let i = 0; i < out.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0
    out[i] = s >>> 24
  }
  return out
}

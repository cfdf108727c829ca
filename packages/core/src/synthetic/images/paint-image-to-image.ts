import { paintLatent } from './paint-latent.js'

/**
 * Paints the deterministic latent grid of an image-to-image request with no GPU and no pixel decoding: the input
 * picture stands as the latent painted from its identity (`source`, e.g. its content hash), and the result moves
 * from it towards the prompt and seed's own latent by `strength` (0: the input's picture, 1: the text-to-image one).
 * So the output depends on the input, the prompt, the seed and the strength, and differs from text-to-image.
 * @example
 * const latent = paintImageToImage('a fox', 42, 512, 512, '3f2a…9c.png', 0.5) // 64 × 64 × 3 bytes
 */
export function paintImageToImage(
  prompt: string,
  seed: number,
  width: number,
  height: number,
  source: string,
  strength: number,
): Uint8Array {
  const target = paintLatent(prompt, seed, width, height)
  const start = paintLatent(`\u0000input\u0000${source}`, 0, width, height)
  const out = new Uint8ClampedArray(target.length)
  // At least a little of the prompt shows even at the smallest strength, so the seed always matters.
  const weight = Math.min(1, Math.max(0.05, strength))
  for (let index = 0; index < target.length; index += 1) {
    out[index] = start[index]! + (target[index]! - start[index]!) * weight
  }
  return new Uint8Array(out.buffer)
}

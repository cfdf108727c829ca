/**
 * The fake's pixels: a decoded "image" is a description (size, seed, prompt) until an output node encodes it,
 * with the deterministic painter and pure-JS encoders of `@genimage/core`.
 * @module
 */
import { encodeJpeg, encodePng, encodeWebp, paintImageToImage, paintLatent } from '@genimage/core'

/** An image as it flows between fake nodes (ComfyUI's IMAGE tensor, one batch entry). */
export interface FakeImage {
  width: number
  height: number
  seed: number
  prompt: string
  /** Image-to-image: the SHA-256 (hex) of the input image's bytes it was sampled from. */
  source?: string
  /** Image-to-image: the sampler's denoise (the request's strength). */
  strength?: number
}

/** Formats the fake can encode. */
export type FakeImageFormat = 'png' | 'jpeg' | 'webp'

/** MIME type of each format. */
export const CONTENT_TYPES: Record<FakeImageFormat, string> = {
  png: 'image/png',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
}

/**
 * Encodes a fake image: same size, seed and prompt (and input image and strength) always give the same bytes.
 * @example
 * const png = encodeFakeImage({ width: 512, height: 512, seed: 1, prompt: 'a fox' }, 'png')
 */
export function encodeFakeImage(image: FakeImage, format: FakeImageFormat, quality = 90): Uint8Array {
  // paintLatent takes 0..2^53-1; ComfyUI seeds go to 2^64-1.
  const seed = Number(BigInt(Math.trunc(image.seed)) % 2n ** 53n)
  const latent =
    image.source === undefined
      ? paintLatent(image.prompt, seed, image.width, image.height)
      : paintImageToImage(image.prompt, seed, image.width, image.height, image.source, image.strength ?? 1)
  if (format === 'jpeg') return encodeJpeg(latent, image.width, image.height, Math.min(100, Math.max(1, quality)))
  if (format === 'webp') return encodeWebp(latent, image.width, image.height)
  return encodePng(latent, image.width, image.height)
}

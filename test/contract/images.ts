import sharp from 'sharp'

/** Decodes image bytes and returns what a viewer would see: format and size. */
export async function decodeImage(bytes: Uint8Array): Promise<{ format: string; width: number; height: number }> {
  const { format, width, height } = await sharp(bytes).metadata()
  return { format: format ?? 'unknown', width: width ?? 0, height: height ?? 0 }
}

/** Bytes of a `data:` URI. */
export function dataUriBytes(uri: string): { contentType: string; bytes: Uint8Array } {
  const match = /^data:([^;,]+);base64,(.*)$/s.exec(uri)
  if (!match) throw new Error(`not a base64 data URI: ${uri.slice(0, 40)}`)
  return { contentType: match[1]!, bytes: new Uint8Array(Buffer.from(match[2]!, 'base64')) }
}

/** A `data:` URI of a PNG of one colour, `width` × `height`, made with sharp (an input picture for image-to-image). */
export async function solidPng(width: number, height: number, rgb: [number, number, number]): Promise<string> {
  const [r, g, b] = rgb
  const png = await sharp({ create: { width, height, channels: 3, background: { r, g, b } } })
    .png()
    .toBuffer()
  return `data:image/png;base64,${png.toString('base64')}`
}

/** A `data:` URI of a PNG of Gaussian noise: it does not compress, so its size is about `3 × width × height` bytes. */
export async function noisePng(width: number, height: number): Promise<string> {
  const noise = { type: 'gaussian', mean: 128, sigma: 64 } as const
  const png = await sharp({ create: { width, height, channels: 3, background: '#808080', noise } })
    .png()
    .toBuffer()
  return `data:image/png;base64,${png.toString('base64')}`
}

/** The mean absolute difference of two same-size images' RGB samples (0: identical, 255: opposite). */
export async function meanPixelDifference(a: Uint8Array, b: Uint8Array): Promise<number> {
  const [left, right] = await Promise.all([a, b].map((bytes) => sharp(bytes).removeAlpha().raw().toBuffer()))
  if (left!.length !== right!.length) throw new Error(`different sizes: ${left!.length} and ${right!.length} samples`)
  let sum = 0
  for (let index = 0; index < left!.length; index += 1) sum += Math.abs(left![index]! - right![index]!)
  return sum / left!.length
}

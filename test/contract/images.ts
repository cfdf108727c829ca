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

/**
 * The SHA-256 of a text (UTF-8) as lower-case hex, cut to `hexDigits`, with Web Crypto (browsers, workers, Node).
 * @default hexDigits 64 (the whole digest)
 * @example await sha256Hex('secret', 32) // '2bb80d537b1da3e38bd30361aa855686'
 */
export async function sha256Hex(text: string, hexDigits = 64): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)))
  let hex = ''
  for (const byte of digest) hex += byte.toString(16).padStart(2, '0')
  return hex.slice(0, hexDigits)
}

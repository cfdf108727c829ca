const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'

/**
 * Standard base64 of bytes, without Node's Buffer, so it runs in browsers and service workers.
 * @example toBase64(new Uint8Array([104, 105])) // 'aGk='
 */
export function toBase64(bytes: Uint8Array): string {
  const parts: string[] = []
  let chunk = ''
  for (let index = 0; index < bytes.length; index += 3) {
    const a = bytes[index]!
    const b = bytes[index + 1]
    const c = bytes[index + 2]
    chunk += alphabet[a >> 2]! + alphabet[((a & 3) << 4) | ((b ?? 0) >> 4)]!
    chunk += b === undefined ? '=' : alphabet[((b & 15) << 2) | ((c ?? 0) >> 6)]!
    chunk += c === undefined ? '=' : alphabet[c & 63]!
    if (chunk.length >= 8192) {
      parts.push(chunk)
      chunk = ''
    }
  }
  parts.push(chunk)
  return parts.join('')
}

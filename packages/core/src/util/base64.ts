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

const decodeTable = (() => {
  const table = new Int16Array(128).fill(-1)
  for (let index = 0; index < alphabet.length; index += 1) table[alphabet.charCodeAt(index)] = index
  return table
})()

/**
 * Bytes of standard base64 text (padding optional), or `undefined` when the text is not base64 (another character,
 * a length no encoder writes, or `=` anywhere but the end). Runs without Node's Buffer.
 * @example fromBase64('aGk=') // Uint8Array [104, 105]
 */
export function fromBase64(text: string): Uint8Array | undefined {
  let end = text.length
  if (end % 4 === 0 && text.charCodeAt(end - 1) === 0x3d) end -= text.charCodeAt(end - 2) === 0x3d ? 2 : 1
  if (end % 4 === 1) return undefined
  const bytes = new Uint8Array(Math.floor((end * 3) / 4))
  let written = 0
  let buffer = 0
  let bits = 0
  for (let index = 0; index < end; index += 1) {
    const code = text.charCodeAt(index)
    const value = code < 128 ? decodeTable[code]! : -1
    if (value < 0) return undefined
    buffer = ((buffer << 6) | value) & 0xffffff
    bits += 6
    if (bits >= 8) {
      bits -= 8
      bytes[written++] = (buffer >> bits) & 0xff
    }
  }
  return bytes
}

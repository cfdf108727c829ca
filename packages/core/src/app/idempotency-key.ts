import { HttpProblem } from '../errors.js'

/**
 * What an `Idempotency-Key` may be: 1 to 255 printable ASCII characters (space to `~`), not starting or ending with a
 * space (HTTP strips those from header values).
 */
const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e](?:[\x20-\x7e]{0,253}[\x21-\x7e])?$/

/**
 * The request's `Idempotency-Key`, `undefined` when absent; 400 when present but empty, too long or not printable ASCII.
 * @example readIdempotencyKey(new Headers({ 'idempotency-key': 'order-42' })) // 'order-42'
 */
export function readIdempotencyKey(headers: Headers): string | undefined {
  const value = headers.get('idempotency-key')
  if (value === null) return undefined
  if (IDEMPOTENCY_KEY_PATTERN.test(value)) return value
  const why =
    value === ''
      ? 'it is empty'
      : value.length > 255
        ? `it has ${value.length} characters`
        : 'it has characters outside printable ASCII'
  throw new HttpProblem(400, `Idempotency-Key must be 1 to 255 printable ASCII characters; ${why}`)
}

import { WebhookVerificationError } from './errors/webhook-verification-error.js'
import type { WebhookPayload } from './types.js'

/**
 * Options of {@link verifyWebhook}.
 * @example { toleranceS: 300 }
 */
export interface VerifyWebhookOptions {
  /**
   * Largest difference, in seconds, between `webhook-timestamp` and now (either way) that is accepted.
   * @default 300
   */
  toleranceS?: number
  /**
   * The clock, in epoch milliseconds (tests pin it).
   * @default Date.now
   */
  now?: () => number
}

/**
 * A received webhook when it is not a `Request`: its headers and its raw body, exactly as received.
 * @example { headers: req.headers, body: rawBodyBuffer }
 */
export interface RawWebhook {
  headers: Headers | Readonly<Record<string, string | readonly string[] | undefined>>
  body: string | Uint8Array
}

const encoder = new TextEncoder()

const header = (headers: RawWebhook['headers'], name: string): string | undefined => {
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined
  const value = (headers as Record<string, string | readonly string[] | undefined>)[name]
  return typeof value === 'string' ? value : value?.[0]
}

const fromBase64 = (text: string): Uint8Array | undefined => {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) return undefined
  return Uint8Array.from(atob(text), (char) => char.charCodeAt(0))
}

const keyBytes = (secret: string): Uint8Array => {
  const bytes = secret.startsWith('whsec_') ? fromBase64(secret.slice(6)) : encoder.encode(secret)
  if (!bytes || bytes.length === 0) {
    throw new WebhookVerificationError('invalid_secret', 'A webhook secret is empty or not whsec_<base64>')
  }
  return bytes
}

/** Compares two byte strings in time that depends only on their lengths. */
const equal = (a: Uint8Array, b: Uint8Array): boolean => {
  let difference = a.length ^ b.length
  for (let index = 0; index < a.length; index += 1) difference |= a[index]! ^ (b[index % b.length] ?? 0)
  return difference === 0
}

const isPayload = (value: unknown): value is WebhookPayload => {
  const payload = value as WebhookPayload | null
  return (
    typeof payload === 'object' &&
    payload !== null &&
    typeof payload.request_id === 'string' &&
    (payload.status === 'OK' || payload.status === 'ERROR') &&
    typeof payload.payload === 'object' &&
    payload.payload !== null
  )
}

/**
 * Verifies a genimage webhook as Standard Webhooks specifies and returns its typed payload: the timestamp within
 * `toleranceS` of now, and one `v1` signature of `<webhook-id>.<webhook-timestamp>.<raw body>` matching under one of
 * the secrets (pass old and new together while rotating; `whsec_<base64>` or raw strings, as the server's
 * `WEBHOOK_SECRETS`). Web Crypto only: runs in Node ≥ 20, browsers, Deno, Bun and edge runtimes. Reads the body of a
 * `Request`; give the raw body otherwise (a re-serialised JSON object does not verify). Throws a
 * {@link WebhookVerificationError} naming the reason.
 * @example
 * export async function POST(request: Request) {
 *   const webhook = await verifyWebhook(request, process.env.GENIMAGE_WEBHOOK_SECRET!)
 *   if (webhook.status === 'OK') console.log(webhook.payload)
 *   return new Response(null, { status: 204 })
 * }
 */
export async function verifyWebhook(
  request: Request | RawWebhook,
  secret: string | readonly string[],
  options: VerifyWebhookOptions = {},
): Promise<WebhookPayload> {
  const { toleranceS = 300, now = Date.now } = options
  const secrets = typeof secret === 'string' ? [secret] : secret
  const keys = secrets.map(keyBytes)
  if (keys.length === 0) throw new WebhookVerificationError('invalid_secret', 'No webhook secret given')
  const id = header(request.headers, 'webhook-id')
  const timestamp = header(request.headers, 'webhook-timestamp')
  const signatures = header(request.headers, 'webhook-signature')
  if (!id || !timestamp || !signatures) {
    throw new WebhookVerificationError(
      'missing_header',
      'The webhook-id, webhook-timestamp and webhook-signature headers are required',
    )
  }
  if (!/^\d{1,15}$/.test(timestamp)) {
    throw new WebhookVerificationError(
      'invalid_timestamp',
      `webhook-timestamp ${JSON.stringify(timestamp)} is not unix seconds`,
    )
  }
  const skewS = Math.floor(now() / 1000) - Number(timestamp)
  if (Math.abs(skewS) > toleranceS) {
    throw new WebhookVerificationError(
      'expired',
      `webhook-timestamp is ${Math.abs(skewS)} s in the ${skewS > 0 ? 'past' : 'future'} (tolerance ${toleranceS} s)`,
    )
  }
  const raw = 'arrayBuffer' in request ? new Uint8Array(await request.arrayBuffer()) : request.body
  const body = typeof raw === 'string' ? encoder.encode(raw) : raw
  const prefix = encoder.encode(`${id}.${timestamp}.`)
  const signed = new Uint8Array(prefix.length + body.length)
  signed.set(prefix)
  signed.set(body, prefix.length)
  const given = signatures
    .split(' ')
    .filter((entry) => entry.startsWith('v1,'))
    .map((entry) => fromBase64(entry.slice(3)))
    .filter((bytes): bytes is Uint8Array => bytes !== undefined)
  let matched = false
  for (const key of keys) {
    const hmac = await crypto.subtle.importKey(
      'raw',
      key as Uint8Array<ArrayBuffer>,
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['sign'],
    )
    const expected = new Uint8Array(await crypto.subtle.sign('HMAC', hmac, signed))
    for (const signature of given) matched = equal(expected, signature) || matched
  }
  if (!matched) {
    throw new WebhookVerificationError('invalid_signature', 'No webhook-signature matches under the given secrets')
  }
  let payload: unknown
  try {
    payload = JSON.parse(new TextDecoder().decode(body))
  } catch {
    throw new WebhookVerificationError('invalid_payload', 'The webhook body is not JSON')
  }
  if (!isPayload(payload)) {
    throw new WebhookVerificationError('invalid_payload', 'The webhook body is not a genimage webhook payload')
  }
  return payload
}

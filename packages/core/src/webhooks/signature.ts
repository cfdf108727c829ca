import { toBase64 } from '../util/base64.js'
import type { WebhookDelivery } from './port.js'

const encoder = new TextEncoder()

/**
 * The HMAC key of a webhook secret: a Standard Webhooks secret `whsec_<base64>` is the base64-decoded bytes, any
 * other string its UTF-8 bytes. Throws on a `whsec_` secret that is not base64.
 * @example decodeWebhookSecret('whsec_c2VjcmV0') // bytes of 'secret'
 */
export function decodeWebhookSecret(secret: string): Uint8Array {
  if (!secret.startsWith('whsec_')) return encoder.encode(secret)
  const text = secret.slice('whsec_'.length)
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text) || text.length % 4 !== 0)
    throw new Error('a whsec_ webhook secret must be followed by base64')
  return Uint8Array.from(atob(text), (char) => char.charCodeAt(0))
}

/**
 * One Standard Webhooks signature: `v1,` and the base64 HMAC-SHA256 of `<id>.<timestamp>.<body>` (Web Crypto, so it
 * runs in Node, browsers and edge runtimes).
 * @example await signWebhook('whsec_c2VjcmV0', 'msg_1', 1700000000, '{}') // 'v1,…'
 */
export async function signWebhook(secret: string, id: string, timestampS: number, body: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    'raw',
    decodeWebhookSecret(secret) as Uint8Array<ArrayBuffer>,
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  )
  const mac = await crypto.subtle.sign('HMAC', key, encoder.encode(`${id}.${timestampS}.${body}`))
  return `v1,${toBase64(new Uint8Array(mac))}`
}

/**
 * The headers of one attempt: `content-type`, `webhook-id`, `webhook-timestamp` (unix seconds) and
 * `webhook-signature` with one space-separated `v1,…` per secret (old and new together while rotating).
 * @example await webhookHeaders(delivery, ['whsec_c2VjcmV0'], 1700000000)
 */
export async function webhookHeaders(
  delivery: WebhookDelivery,
  secrets: readonly string[],
  timestampS: number = Math.floor(Date.now() / 1000),
): Promise<Record<string, string>> {
  const signatures = await Promise.all(
    secrets.map((secret) => signWebhook(secret, delivery.id, timestampS, delivery.body)),
  )
  return {
    'content-type': 'application/json',
    'webhook-id': delivery.id,
    'webhook-timestamp': String(timestampS),
    'webhook-signature': signatures.join(' '),
  }
}

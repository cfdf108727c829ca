import { type WebhookAttempt, type WebhookDelivery, type WebhookSender, webhookHeaders } from '@genimage/core'
import { guardedRequest, type OutboundGuard, OutboundRefusedError } from '../net/index.js'

/** Options of {@link createGuardedWebhookSender}. */
export interface GuardedWebhookSenderOptions {
  /** Secrets to sign with, one `v1,…` signature each (`whsec_<base64>` or raw strings). */
  secrets: readonly string[]
  /** The SSRF rules every attempt is checked against (at connect time, on the resolved address). */
  guard: OutboundGuard
  /** An attempt without a whole answer within this time fails. @default 10000 */
  timeoutMs?: number
  /** Clock in epoch milliseconds, for `webhook-timestamp`. @default Date.now */
  now?: () => number
}

/**
 * The server's {@link WebhookSender}: signs each attempt (Standard Webhooks), POSTs it under the outbound guard with a
 * timeout, never follows a redirect (a 3xx fails the attempt) and counts any 2xx as delivered.
 * @example const send = createGuardedWebhookSender({ secrets: config.webhookSecrets, guard })
 */
export function createGuardedWebhookSender(options: GuardedWebhookSenderOptions): WebhookSender {
  const { secrets, guard, timeoutMs = 10_000, now = Date.now } = options
  return async (delivery: WebhookDelivery): Promise<WebhookAttempt> => {
    try {
      const headers = await webhookHeaders(delivery, secrets, Math.floor(now() / 1000))
      const { status } = await guardedRequest(guard, new URL(delivery.url), {
        method: 'POST',
        headers: { ...headers, 'user-agent': 'genimage-webhooks' },
        body: delivery.body,
        timeoutMs,
        readBody: false,
      })
      if (status >= 200 && status < 300) return { ok: true, status }
      const redirect = status >= 300 && status < 400 ? ' (redirects are not followed)' : ''
      return { ok: false, status, reason: `HTTP ${status}${redirect}` }
    } catch (error) {
      const reason = error instanceof OutboundRefusedError ? `refused: ${error.message}` : (error as Error).message
      return { ok: false, reason }
    }
  }
}

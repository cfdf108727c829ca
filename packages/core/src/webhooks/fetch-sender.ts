import type { WebhookAttempt, WebhookDelivery, WebhookSender } from './port.js'
import { webhookHeaders } from './signature.js'

/** Options of {@link createFetchWebhookSender}. */
export interface FetchWebhookSenderOptions {
  /** Secrets to sign with, one `v1,…` signature each (`whsec_<base64>` or raw strings). */
  secrets: readonly string[]
  /** The fetch to POST with (tests pass MSW's or a recorder). @default globalThis.fetch */
  fetch?: typeof fetch
  /** An attempt without an answer within this time fails. @default 10000 */
  timeoutMs?: number
  /** Clock in epoch milliseconds, for `webhook-timestamp`. @default Date.now */
  now?: () => number
}

/**
 * A {@link WebhookSender} on `fetch`, for runtimes without Node's `http` (the mocks, browsers): signs each attempt,
 * refuses to follow redirects (a 3xx fails the attempt) and counts any 2xx as delivered. It applies no SSRF rule:
 * the server's sender does.
 * @example const send = createFetchWebhookSender({ secrets: ['whsec_c2VjcmV0'] })
 */
export function createFetchWebhookSender(options: FetchWebhookSenderOptions): WebhookSender {
  const { secrets, timeoutMs = 10_000, now = Date.now } = options
  return async (delivery: WebhookDelivery): Promise<WebhookAttempt> => {
    try {
      const headers = await webhookHeaders(delivery, secrets, Math.floor(now() / 1000))
      const response = await (options.fetch ?? fetch)(delivery.url, {
        method: 'POST',
        headers,
        body: delivery.body,
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      })
      await response.body?.cancel().catch(() => {})
      if (response.status >= 200 && response.status < 300) return { ok: true, status: response.status }
      return { ok: false, status: response.status, reason: `HTTP ${response.status || 'redirect'}` }
    } catch (error) {
      const name = (error as Error).name
      return { ok: false, reason: name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : String(error) }
    }
  }
}

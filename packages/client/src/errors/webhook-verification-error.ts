import { GenimageError } from './genimage-error.js'

/** Why {@link verifyWebhook} refused a webhook. */
export type WebhookVerificationReason =
  /** `webhook-id`, `webhook-timestamp` or `webhook-signature` is missing. */
  | 'missing_header'
  /** `webhook-timestamp` is not unix seconds. */
  | 'invalid_timestamp'
  /** The timestamp is further from now than the tolerance (a replay, or a clock off by minutes). */
  | 'expired'
  /** No `v1` signature matches under any of the secrets (tampered body or headers, wrong secret). */
  | 'invalid_signature'
  /** Signed correctly, but the body is not a webhook payload (not JSON, or not its shape). */
  | 'invalid_payload'
  /** A secret is empty, or `whsec_` followed by something that is not base64. */
  | 'invalid_secret'

/**
 * A webhook failed verification: answer it with 400 (or 401) and do not act on it.
 * @example if (error instanceof WebhookVerificationError && error.reason === 'expired') console.warn('replayed webhook')
 */
export class WebhookVerificationError extends GenimageError {
  override readonly name: string = 'WebhookVerificationError'
  /** What was wrong. */
  readonly reason: WebhookVerificationReason

  constructor(reason: WebhookVerificationReason, message: string) {
    super(message)
    this.reason = reason
  }
}

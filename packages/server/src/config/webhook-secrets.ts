import { decodeWebhookSecret } from '@genimage/core'
import type { OptionType } from './types.js'

/**
 * `WEBHOOK_SECRETS`: comma-separated signing secrets, each `whsec_<base64>` (Standard Webhooks) or a raw string of at
 * least 16 characters; a `whsec_` secret that is not base64 is a config error.
 * @example webhookSecrets().parse('whsec_c2VjcmV0c2VjcmV0c2VjcmV0,old-raw-secret-123', { cwd: '.' }) // two secrets
 */
export function webhookSecrets(): OptionType<string[]> {
  return {
    placeholder: '<a,b,…>',
    parse(raw) {
      const secrets = raw
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean)
      for (const [index, secret] of secrets.entries()) {
        const bytes = decodeWebhookSecret(secret)
        if (bytes.length < 16) throw new Error(`secret ${index + 1} is shorter than 16 bytes`)
      }
      return secrets
    },
    format: (value) => (value.length ? value.join(',') : '(empty)'),
  }
}

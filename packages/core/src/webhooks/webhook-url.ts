import { ValidationProblem } from '../errors.js'

/** Longest webhook URL accepted (the contract's `maxLength`). */
export const MAX_WEBHOOK_URL_LENGTH = 2048

const PRINTABLE_ASCII = /^[!-~]+$/

/** What the host of an app decides about webhooks: without it, a `webhook_url` is refused (422). */
export interface WebhookAcceptance {
  /**
   * Checks a syntactically valid `http(s)` URL before a job is accepted and returns why it is refused (the server
   * refuses literal private addresses and `localhost` unless allowlisted), or `undefined` to accept it.
   */
  check?: (url: URL) => string | undefined
}

type Loc = ['body', 'webhook_url'] | ['query', 'fal_webhook']

const refuse = (loc: Loc, msg: string, type = 'value_error'): ValidationProblem =>
  new ValidationProblem([{ loc, msg, type }])

/**
 * The webhook URL of a submit, from the body's `webhook_url` or `?fal_webhook=` (fal's client), validated: `http:` or
 * `https:`, no credentials, at most 2048 characters, both given only with the same value, and accepted by
 * `acceptance.check`. `undefined` when neither is given. Throws a {@link ValidationProblem} (422) otherwise, and on
 * `POST /generate` (`route` `'generate'`), which delivers no webhook.
 * @example readWebhookUrl({ prompt: 'a fox', webhook_url: 'https://example.com/hook' }, undefined, 'queue', {})
 */
export function readWebhookUrl(
  body: unknown,
  query: string | undefined,
  route: 'generate' | 'queue',
  acceptance: WebhookAcceptance | undefined,
): string | undefined {
  const fromBody = (body as { webhook_url?: unknown } | null)?.webhook_url
  if (route === 'generate') {
    if (fromBody === undefined) return undefined
    throw refuse(
      ['body', 'webhook_url'],
      'webhook_url is accepted only by POST /queue/generate: POST /generate answers with the result itself',
    )
  }
  if (fromBody === undefined && query === undefined) return undefined
  if (typeof fromBody === 'string' && query !== undefined && query !== fromBody) {
    throw refuse(
      ['query', 'fal_webhook'],
      'fal_webhook and the body webhook_url differ: give one of them, or the same URL',
    )
  }
  const loc: Loc = typeof fromBody === 'string' ? ['body', 'webhook_url'] : ['query', 'fal_webhook']
  const text = typeof fromBody === 'string' ? fromBody : (query ?? '')
  if (text.length === 0) throw refuse(loc, 'String should have at least 1 character', 'string_too_short')
  if (text.length > MAX_WEBHOOK_URL_LENGTH) {
    throw refuse(loc, `String should have at most ${MAX_WEBHOOK_URL_LENGTH} characters`, 'string_too_long')
  }
  // The contract's pattern: a URL travels as printable ASCII (2048 characters of percent-encoded UTF-8 would not fit
  // in a request line).
  if (!PRINTABLE_ASCII.test(text)) {
    throw refuse(
      loc,
      'String should be a URL in printable ASCII (percent-encode other characters)',
      'string_pattern_mismatch',
    )
  }
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw refuse(loc, 'Input should be a valid URL', 'url_parsing')
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw refuse(loc, "URL scheme should be 'http' or 'https'", 'url_scheme')
  }
  if (url.username || url.password) {
    throw refuse(
      loc,
      'The webhook URL must not contain credentials (user:password@): put a secret in its path or query',
    )
  }
  if (!acceptance) throw refuse(loc, 'webhooks are not configured on this server')
  const refusal = acceptance.check?.(url)
  if (refusal !== undefined) throw refuse(loc, refusal)
  return text
}

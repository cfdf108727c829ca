/** How long and how often a failed delivery is retried. */
export interface WebhookRetryPolicy {
  /** Retries stop once this much time passed since the first attempt. @default 3600000 (1 h) */
  retryForMs: number
  /** Attempts at most, the first included. @default 12 */
  maxAttempts: number
  /** Base delay before the first retry; it doubles after each failed attempt. @default 5000 */
  firstDelayMs: number
  /** Largest base delay between two attempts. @default 3600000 (1 h) */
  maxDelayMs: number
}

/** The defaults of {@link WebhookRetryPolicy}. */
export const DEFAULT_WEBHOOK_RETRY: Readonly<WebhookRetryPolicy> = {
  retryForMs: 3_600_000,
  maxAttempts: 12,
  firstDelayMs: 5000,
  maxDelayMs: 3_600_000,
}

/**
 * The wait before the next attempt after `failedAttempts` failed ones (exponential, with "equal jitter": between half
 * and all of `firstDelayMs × 2^(failedAttempts−1)`, capped at `maxDelayMs`), or `undefined` when the delivery should
 * be given up: no attempt left, or the next one would fall past `retryForMs` after the first.
 * @example nextRetryDelayMs(DEFAULT_WEBHOOK_RETRY, 1, 0) // between 2500 and 5000
 */
export function nextRetryDelayMs(
  policy: WebhookRetryPolicy,
  failedAttempts: number,
  elapsedMs: number,
  random: () => number = Math.random,
): number | undefined {
  if (failedAttempts >= policy.maxAttempts) return undefined
  const base = Math.min(policy.maxDelayMs, policy.firstDelayMs * 2 ** Math.max(0, failedAttempts - 1))
  const delay = Math.round(base / 2 + (random() * base) / 2)
  return elapsedMs + delay > policy.retryForMs ? undefined : delay
}

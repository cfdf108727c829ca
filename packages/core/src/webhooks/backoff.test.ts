import { describe, expect, it } from 'vitest'
import { DEFAULT_WEBHOOK_RETRY, nextRetryDelayMs } from './backoff.js'

describe('webhook retry backoff', () => {
  it('waits between half and all of a base delay that doubles after each failure', () => {
    for (const [failed, base] of [
      [1, 5000],
      [2, 10_000],
      [3, 20_000],
      [6, 160_000],
    ] as const) {
      expect(nextRetryDelayMs(DEFAULT_WEBHOOK_RETRY, failed, 0, () => 0)).toBe(base / 2)
      expect(nextRetryDelayMs(DEFAULT_WEBHOOK_RETRY, failed, 0, () => 1)).toBe(base)
      const jittered = nextRetryDelayMs(DEFAULT_WEBHOOK_RETRY, failed, 0)!
      expect(jittered).toBeGreaterThanOrEqual(base / 2)
      expect(jittered).toBeLessThanOrEqual(base)
    }
  })

  it('caps the base delay at maxDelayMs', () => {
    const policy = { ...DEFAULT_WEBHOOK_RETRY, maxDelayMs: 30_000, retryForMs: 10 ** 9, maxAttempts: 100 }
    expect(nextRetryDelayMs(policy, 40, 0, () => 1)).toBe(30_000)
  })

  it('gives up after maxAttempts attempts', () => {
    const policy = { ...DEFAULT_WEBHOOK_RETRY, maxAttempts: 3 }
    expect(nextRetryDelayMs(policy, 2, 0)).toBeDefined()
    expect(nextRetryDelayMs(policy, 3, 0)).toBeUndefined()
  })

  it('gives up when the next attempt would fall past retryForMs after the first', () => {
    const policy = { ...DEFAULT_WEBHOOK_RETRY, retryForMs: 60_000 }
    expect(nextRetryDelayMs(policy, 1, 55_000, () => 0)).toBe(2500)
    expect(nextRetryDelayMs(policy, 1, 58_000, () => 0)).toBeUndefined()
  })
})

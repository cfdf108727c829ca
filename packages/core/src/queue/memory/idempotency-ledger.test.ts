import { describe, expect, it } from 'vitest'
import { IdempotencyLedger } from './idempotency-ledger.js'

describe('IdempotencyLedger', () => {
  it('forgets the oldest keys past maxEntries', () => {
    const ledger = new IdempotencyLedger({ maxEntries: 2 })
    ledger.record('owner', 'k1', 'f', 'job-1')
    ledger.record('owner', 'k2', 'f', 'job-2')
    ledger.record('owner', 'k3', 'f', 'job-3')
    expect(ledger.size).toBe(2)
    expect(ledger.lookup('owner', 'k1', 'f')).toBeUndefined()
    expect(ledger.lookup('owner', 'k3', 'f')).toBe('job-3')
  })

  it('forgets the oldest keys past maxBytes, counting keys and fingerprints', () => {
    const ledger = new IdempotencyLedger({ maxBytes: 3000 })
    for (let index = 0; index < 10; index += 1) ledger.record('owner', `k${index}`, 'x'.repeat(500), `job-${index}`)
    // Each entry is about 1 KB (UTF-16): two fit in 3000 bytes.
    expect(ledger.size).toBe(2)
    expect(ledger.lookup('owner', 'k9', 'x'.repeat(500))).toBe('job-9')
  })

  it('forgets a key after ttlMs', () => {
    let now = 0
    const ledger = new IdempotencyLedger({ ttlMs: 1000, now: () => now })
    ledger.record('owner', 'k', 'f', 'job')
    now = 999
    expect(ledger.lookup('owner', 'k', 'f')).toBe('job')
    now = 1000
    expect(ledger.lookup('owner', 'k', 'f')).toBeUndefined()
  })

  it('keeps owners apart: the same key of another owner is another entry', () => {
    const ledger = new IdempotencyLedger()
    ledger.record('alice', 'k', 'alice body', 'job-a')
    expect(ledger.lookup('bob', 'k', 'bob body')).toBeUndefined()
    expect(() => ledger.lookup('alice', 'k', 'bob body')).toThrow(/different request body/)
  })
})

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

  it('forgets in the order keys were last recorded, over many more keys than it keeps', () => {
    const ledger = new IdempotencyLedger({ maxEntries: 100 })
    ledger.record('owner', 'again', 'f', 'job-first')
    for (let index = 0; index < 20_000; index += 1) {
      ledger.record('owner', `k${index}`, 'f', `job-${index}`)
      // Recorded again (a failed job run anew under its key): the newest, and counted once.
      if (index % 1000 === 0) ledger.record('owner', 'again', 'f', `job-again-${index}`)
    }
    expect(ledger.size).toBe(100)
    expect(ledger.lookup('owner', 'k19899', 'f')).toBeUndefined()
    expect(ledger.lookup('owner', 'k19900', 'f')).toBe('job-19900')
    expect(ledger.lookup('owner', 'again', 'f')).toBeUndefined()
    for (let index = 0; index < 5000; index += 1) ledger.record('owner', 'again', 'f', `job-again-${index}`)
    expect(ledger.size).toBe(100)
    expect(ledger.lookup('owner', 'again', 'f')).toBe('job-again-4999')
    expect(ledger.lookup('owner', 'k19999', 'f')).toBe('job-19999')
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

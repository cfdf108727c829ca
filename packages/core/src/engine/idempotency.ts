import { HttpProblem } from '../errors.js'

interface Entry {
  fingerprint: string
  jobId: string
  expiresAt: number
}

/**
 * Remembers which job an `Idempotency-Key` started, so a retry with the same key and body joins that job
 * instead of generating again; the same key with another body is a 409.
 * @example const ledger = new IdempotencyLedger(86_400_000, Date.now)
 */
export class IdempotencyLedger {
  readonly #entries = new Map<string, Entry>()
  readonly #ttlMs: number
  readonly #now: () => number

  constructor(ttlMs: number, now: () => number) {
    this.#ttlMs = ttlMs
    this.#now = now
  }

  /** The job id recorded for `key`, if the fingerprint matches; throws 409 when it does not. */
  lookup(key: string, fingerprint: string): string | undefined {
    const entry = this.#entries.get(key)
    if (!entry) return undefined
    if (entry.expiresAt <= this.#now()) {
      this.#entries.delete(key)
      return undefined
    }
    if (entry.fingerprint !== fingerprint) {
      throw new HttpProblem(409, 'Idempotency-Key was already used with a different request body')
    }
    return entry.jobId
  }

  /** Records that `key` started `jobId`. */
  record(key: string, fingerprint: string, jobId: string): void {
    this.#prune()
    this.#entries.set(key, { fingerprint, jobId, expiresAt: this.#now() + this.#ttlMs })
  }

  #prune(): void {
    const now = this.#now()
    for (const [key, entry] of this.#entries) {
      if (entry.expiresAt > now) break
      this.#entries.delete(key)
    }
  }
}

import { queueErrors } from '../errors.js'
import type { JobOwner } from '../port.js'

/** Bounds of an {@link IdempotencyLedger}. */
export interface IdempotencyLedgerOptions {
  /** How long a key is remembered. @default 86400000 (24 h) */
  ttlMs?: number
  /** Keys remembered at most; the oldest is forgotten first. @default 10000 */
  maxEntries?: number
  /** Bytes of keys and fingerprints remembered at most (UTF-16 code units × 2); the oldest is forgotten first. @default 16777216 (16 MiB) */
  maxBytes?: number
  /** Clock in milliseconds. @default Date.now */
  now?: () => number
}

interface Entry {
  id: string
  fingerprint: string
  jobId: string
  expiresAt: number
  bytes: number
}

/**
 * Remembers which job each owner's `Idempotency-Key` started, so a retry with the same key and body joins that job;
 * the same key with another body is a conflict. Keys are scoped to their owner, and bounded in age, count and bytes.
 * @example const ledger = new IdempotencyLedger({ ttlMs: 3_600_000, maxEntries: 1000 })
 */
export class IdempotencyLedger {
  readonly #entries = new Map<string, Entry>()
  /**
   * Every entry recorded, oldest first from `#head` on; one no longer in `#entries` (forgotten, or its key recorded
   * again) is skipped. The oldest entry is found here without walking a `Map` from its start, which past
   * `maxEntries` keys would step over every key forgotten since its last rehash.
   */
  #order: Entry[] = []
  #head = 0
  readonly #ttlMs: number
  readonly #maxEntries: number
  readonly #maxBytes: number
  readonly #now: () => number
  #bytes = 0

  constructor(options: IdempotencyLedgerOptions = {}) {
    this.#ttlMs = options.ttlMs ?? 86_400_000
    this.#maxEntries = options.maxEntries ?? 10_000
    this.#maxBytes = options.maxBytes ?? 16 * 1024 * 1024
    this.#now = options.now ?? Date.now
  }

  /** Keys remembered now. */
  get size(): number {
    this.#prune()
    return this.#entries.size
  }

  /** The job id `owner` started with `key`, if remembered; throws `idempotency_conflict` when the body differs. */
  lookup(owner: JobOwner, key: string, fingerprint: string): string | undefined {
    this.#prune()
    const entry = this.#entries.get(scoped(owner, key))
    if (!entry) return undefined
    if (entry.fingerprint !== fingerprint) throw queueErrors.idempotencyConflict()
    return entry.jobId
  }

  /** Records that `owner`'s `key` started `jobId` (replacing what it started before). */
  record(owner: JobOwner, key: string, fingerprint: string, jobId: string): void {
    const id = scoped(owner, key)
    this.#delete(id)
    const entry: Entry = {
      id,
      fingerprint,
      jobId,
      expiresAt: this.#now() + this.#ttlMs,
      bytes: 2 * (id.length + fingerprint.length + jobId.length),
    }
    this.#entries.set(id, entry)
    this.#order.push(entry)
    this.#bytes += entry.bytes
    this.#prune()
    // Keys recorded again leave their old entries behind: drop them once they are most of the list.
    if (this.#order.length - this.#head > 2 * this.#entries.size + 1024) {
      this.#order = this.#order.slice(this.#head).filter((kept) => this.#entries.get(kept.id) === kept)
      this.#head = 0
    }
  }

  /** Forgets expired keys, then the oldest ones past the count and byte bounds (never the newest). */
  #prune(): void {
    const now = this.#now()
    while (this.#head < this.#order.length) {
      const entry = this.#order[this.#head]!
      if (this.#entries.get(entry.id) === entry) {
        const over = this.#entries.size > this.#maxEntries || this.#bytes > this.#maxBytes
        if (!over && entry.expiresAt > now) break
        if (this.#entries.size === 1 && entry.expiresAt > now) break
        this.#delete(entry.id)
      }
      this.#head += 1
    }
    if (this.#head > 1024 && 2 * this.#head > this.#order.length) {
      this.#order = this.#order.slice(this.#head)
      this.#head = 0
    }
  }

  #delete(id: string): void {
    const entry = this.#entries.get(id)
    if (!entry) return
    this.#entries.delete(id)
    this.#bytes -= entry.bytes
  }
}

const scoped = (owner: JobOwner, key: string): string => `${owner}\n${key}`

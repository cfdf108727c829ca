import { lstat, readdir, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { isImageKey } from './keys.js'

/** How long images stay in a local directory, and how much disk they may use. */
export interface RetentionOptions {
  /** Images older than this (by modification time) are deleted and no longer served; 0 keeps them whatever their age. @default 86400000 (24 h) */
  maxAgeMs?: number
  /** Disk budget in bytes: past it, the oldest images are deleted first; 0: no budget. @default 1073741824 (1 GiB) */
  maxBytes?: number
  /** How often the whole directory is swept (catching files that other processes wrote or removed). @default 60000 */
  sweepIntervalMs?: number
  /** Told when a sweep fails (permissions, I/O); the next sweep tries again. @default ignores the error */
  onSweepError?: (error: Error) => void
  /** The clock, in epoch milliseconds. @default Date.now */
  now?: () => number
}

interface Entry {
  size: number
  mtimeMs: number
}

const isMissing = (error: unknown): boolean => (error as NodeJS.ErrnoException).code === 'ENOENT'

/**
 * The retention ledger of one image directory: an index of its images, oldest first, that enforces an age limit and a
 * byte budget. Each `put` costs a map update (no directory scan); the full scan happens once at start and then every
 * `sweepIntervalMs` on an unref'd timer. Renames and deletions run one at a time, so a deletion of an expiring image
 * can never remove a fresh copy written under the same key.
 * @example
 * const retention = new FileRetention('/data/files', { maxAgeMs: 3_600_000, maxBytes: 512 * 1024 * 1024 })
 * await retention.mutate(() => rename(temp, join(dir, key)))
 * await retention.added(key, size)
 */
export class FileRetention {
  /** Images by key, in modification order (oldest first). */
  readonly #index = new Map<string, Entry>()
  readonly #dir: string
  readonly #maxAgeMs: number
  readonly #maxBytes: number
  readonly #now: () => number
  readonly #onSweepError: (error: Error) => void
  readonly #timer: NodeJS.Timeout
  #bytes = 0
  #mutations: Promise<unknown> = Promise.resolve()
  #sweeping: Promise<void> | undefined

  constructor(dir: string, options: RetentionOptions = {}) {
    this.#dir = dir
    this.#maxAgeMs = options.maxAgeMs ?? 86_400_000
    this.#maxBytes = options.maxBytes ?? 1024 * 1024 * 1024
    this.#now = options.now ?? Date.now
    this.#onSweepError = options.onSweepError ?? (() => {})
    this.#timer = setInterval(() => void this.sweep().catch(this.#onSweepError), options.sweepIntervalMs ?? 60_000)
    this.#timer.unref()
  }

  /** Bytes of the images the index holds. */
  get bytes(): number {
    return this.#bytes
  }

  /** Whether an image last modified at `mtimeMs` is past its age limit (and must not be served). */
  expired(mtimeMs: number): boolean {
    return this.#maxAgeMs > 0 && mtimeMs < this.#now() - this.#maxAgeMs
  }

  /** Runs a rename or deletion in the directory after every earlier one. */
  mutate<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.#mutations.then(operation)
    this.#mutations = result.catch(() => {})
    return result
  }

  /** Records an image just written under `key`, then deletes what the limits no longer allow (never `key` itself). */
  async added(key: string, size: number): Promise<void> {
    this.#forget(key)
    this.#index.set(key, { size, mtimeMs: this.#now() })
    this.#bytes += size
    await this.#enforce(key)
  }

  /** Rescans the directory (regular image files only, never following links), then enforces the limits. */
  sweep(): Promise<void> {
    this.#sweeping ??= this.#scan()
      .then(() => this.#enforce())
      .finally(() => {
        this.#sweeping = undefined
      })
    return this.#sweeping
  }

  /** Stops the periodic sweep. */
  close(): void {
    clearInterval(this.#timer)
  }

  async #scan(): Promise<void> {
    const startedAt = this.#now()
    let names: string[]
    try {
      names = await readdir(this.#dir)
    } catch (error) {
      if (isMissing(error)) names = []
      else throw error
    }
    const found = new Map<string, Entry>()
    for (const name of names) {
      if (!isImageKey(name)) continue
      const stats = await lstat(join(this.#dir, name)).catch((error: unknown) => {
        if (isMissing(error)) return undefined
        throw error
      })
      if (stats?.isFile()) found.set(name, { size: stats.size, mtimeMs: stats.mtimeMs })
    }
    // Images added while the scan ran may be missing from its listing, or listed with their previous copy: keep them.
    for (const [key, entry] of this.#index) if (entry.mtimeMs >= startedAt) found.set(key, entry)
    const sorted = [...found].sort((a, b) => a[1].mtimeMs - b[1].mtimeMs)
    this.#index.clear()
    this.#bytes = 0
    for (const [key, entry] of sorted) {
      this.#index.set(key, entry)
      this.#bytes += entry.size
    }
  }

  async #enforce(keep?: string): Promise<void> {
    const doomed: string[] = []
    for (const [key, entry] of this.#index) {
      const overBudget = this.#maxBytes > 0 && this.#bytes > this.#maxBytes
      if (key === keep || (!overBudget && !this.expired(entry.mtimeMs))) break
      this.#forget(key)
      doomed.push(key)
    }
    for (const key of doomed) {
      await this.mutate(() =>
        unlink(join(this.#dir, key)).catch((error: unknown) => {
          if (!isMissing(error)) throw error
        }),
      )
    }
  }

  #forget(key: string): void {
    const entry = this.#index.get(key)
    if (!entry) return
    this.#index.delete(key)
    this.#bytes -= entry.size
  }
}

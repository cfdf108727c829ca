import { randomUUID } from 'node:crypto'
import { link, open, readFile, rename, stat, unlink, utimes } from 'node:fs/promises'
import { hostname } from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'

/** The owner written into a lock file. */
export interface LockOwner {
  pid: number
  host: string
  token: string
  createdAt: string
}

/** Options of {@link acquireLock}. */
export interface LockOptions {
  /** A lock whose file was not touched for this long is taken over (its holder died on another host). @default 60000 */
  staleMs?: number
  /** Pause between attempts while another process holds the lock. @default 500 */
  pollMs?: number
  /** Give up after this long. @default Infinity */
  timeoutMs?: number
  /** Stops waiting. */
  signal?: AbortSignal
  /** Called once when the lock is busy, with its holder. */
  onWait?: (owner: LockOwner | undefined) => void
}

/** A held lock. */
export interface HeldLock {
  /** Removes the lock file (only if it is still ours) and stops the heartbeat. */
  release(): Promise<void>
}

/**
 * Takes a cross-process lock: creates `path` with O_EXCL holding `{pid, host, token}`, touches it every `staleMs / 4`
 * while held, and takes over locks whose holder is dead (same host, pid gone) or silent for `staleMs` (any host).
 * @example const lock = await acquireLock('/data/models/checkpoints/x.safetensors.lock'); try { … } finally { await lock.release() }
 */
export async function acquireLock(path: string, options: LockOptions = {}): Promise<HeldLock> {
  const staleMs = options.staleMs ?? 60_000
  const pollMs = options.pollMs ?? 500
  const deadline = Date.now() + (options.timeoutMs ?? Number.POSITIVE_INFINITY)
  const owner: LockOwner = {
    pid: process.pid,
    host: hostname(),
    token: randomUUID(),
    createdAt: new Date().toISOString(),
  }
  let waited = false
  for (;;) {
    options.signal?.throwIfAborted()
    if (await tryCreate(path, owner)) return hold(path, owner, staleMs)
    const current = await readOwner(path)
    if (await isStale(path, current, staleMs)) {
      await breakLock(path, current)
      continue
    }
    if (!waited) {
      waited = true
      options.onWait?.(current)
    }
    if (Date.now() >= deadline) throw new Error(`lock ${path} is held by ${describe(current)}`)
    await sleep(pollMs, undefined, { signal: options.signal })
  }
}

async function tryCreate(path: string, owner: LockOwner): Promise<boolean> {
  try {
    const handle = await open(path, 'wx')
    try {
      await handle.writeFile(JSON.stringify(owner))
      await handle.sync()
    } finally {
      await handle.close()
    }
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw error
  }
}

async function readOwner(path: string): Promise<LockOwner | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as LockOwner
  } catch {
    return undefined
  }
}

async function isStale(path: string, owner: LockOwner | undefined, staleMs: number): Promise<boolean> {
  let mtimeMs: number
  try {
    mtimeMs = (await stat(path)).mtimeMs
  } catch {
    return false // Released meanwhile: the next attempt creates it.
  }
  if (owner && owner.host === hostname() && !isProcessAlive(owner.pid)) return true
  // An unreadable (half-written) lock gets the same grace as a silent holder.
  return Date.now() - mtimeMs > staleMs
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Moves the stale lock aside atomically; if a fresh lock took its place meanwhile, puts that one back. */
async function breakLock(path: string, stale: LockOwner | undefined): Promise<void> {
  const tombstone = `${path}.stale-${randomUUID()}`
  try {
    await rename(path, tombstone)
  } catch {
    return
  }
  const moved = await readOwner(tombstone)
  if (moved?.token !== stale?.token) await link(tombstone, path).catch(() => {})
  await unlink(tombstone).catch(() => {})
}

function hold(path: string, owner: LockOwner, staleMs: number): HeldLock {
  const heartbeat = setInterval(
    () => {
      const now = new Date()
      utimes(path, now, now).catch(() => {})
    },
    Math.max(1000, Math.floor(staleMs / 4)),
  )
  heartbeat.unref()
  return {
    async release() {
      clearInterval(heartbeat)
      const current = await readOwner(path)
      if (current?.token === owner.token) await unlink(path).catch(() => {})
    },
  }
}

function describe(owner: LockOwner | undefined): string {
  return owner ? `pid ${owner.pid} on ${owner.host} since ${owner.createdAt}` : 'an unknown process'
}

import type { BackendState } from '@genimage/core'
import type { Redis } from 'ioredis'
import type { GenimageKeys } from './keys.js'

/** What a worker publishes about itself every {@link HEARTBEAT_MS}. */
export interface WorkerPresence {
  /** The worker's id (host, pid and a random suffix). */
  id: string
  /** Backend name (`synthetic`, `comfyui`). */
  backend: string
  /** Backend state: `ready` when it can take jobs. */
  state: BackendState
  /** Jobs it runs at once. */
  concurrency: number
  /** Jobs it runs now. */
  running: number
  /** Mean duration of its recent jobs in milliseconds; absent before its first. */
  meanJobMs?: number
  /** True once it was told to stop (it takes no new jobs). */
  draining: boolean
}

/** How often a worker publishes its presence. */
export const HEARTBEAT_MS = 1000

/** A worker silent for this long is considered gone. */
export const PRESENCE_TTL_MS = 5 * HEARTBEAT_MS

/** Job duration assumed before any worker measured one. */
const DEFAULT_JOB_MS = 1000

/**
 * Publishes one worker's presence (expiring after {@link PRESENCE_TTL_MS}).
 * @example await publishPresence(redis, keys, { id, backend: 'synthetic', state: 'ready', concurrency: 1, running: 0, draining: false })
 */
export async function publishPresence(redis: Redis, keys: GenimageKeys, presence: WorkerPresence): Promise<void> {
  await redis
    .multi()
    .set(keys.worker(presence.id), JSON.stringify(presence), 'PX', PRESENCE_TTL_MS)
    .zadd(keys.workers, Date.now(), presence.id)
    .exec()
}

/**
 * Removes a worker's presence at once (it stopped cleanly).
 * @example await withdrawPresence(redis, keys, worker.id)
 */
export async function withdrawPresence(redis: Redis, keys: GenimageKeys, id: string): Promise<void> {
  await redis.multi().del(keys.worker(id)).zrem(keys.workers, id).exec()
}

/**
 * The workers that published their presence recently.
 * @example const workers = await readPresence(redis, keys)
 */
export async function readPresence(redis: Redis, keys: GenimageKeys): Promise<WorkerPresence[]> {
  const horizon = Date.now() - PRESENCE_TTL_MS
  await redis.zremrangebyscore(keys.workers, '-inf', horizon)
  const ids = await redis.zrange(keys.workers, 0, -1)
  if (ids.length === 0) return []
  const values = await redis.mget(ids.map((id) => keys.worker(id)))
  return values.flatMap((value) => (value ? [JSON.parse(value) as WorkerPresence] : []))
}

const STATE_RANK: Record<BackendState, number> = {
  ready: 4,
  restarting: 3,
  warming_up: 2,
  starting: 1,
  stopped: 0,
}

/** What the API nodes conclude from the workers' presence. */
export interface WorkersSummary {
  /** The best state of any worker that is not draining; `starting` while there is none. */
  state: BackendState
  /** The backend names of the workers, e.g. `comfyui`; `none` while there is no worker. */
  backend: string
  /** Jobs per second all workers that are not draining finish, from their measured job durations. */
  throughputPerS: number
}

/**
 * Summarizes the workers for `/ready` and the 429 estimate.
 * @example summarizeWorkers([]).state // 'starting'
 */
export function summarizeWorkers(workers: readonly WorkerPresence[]): WorkersSummary {
  const active = workers.filter((worker) => !worker.draining)
  if (active.length === 0) return { state: 'starting', backend: 'none', throughputPerS: 0 }
  const best = active.reduce((a, b) => (STATE_RANK[b.state] > STATE_RANK[a.state] ? b : a))
  const backends = [...new Set(active.map((worker) => worker.backend))].sort().join(',')
  const throughputPerS = active.reduce(
    (sum, worker) => sum + (worker.concurrency * 1000) / Math.max(1, worker.meanJobMs ?? DEFAULT_JOB_MS),
    0,
  )
  return { state: best.state, backend: backends, throughputPerS }
}

/**
 * Seconds after which a refused caller may find room: the time all workers need for a quarter of the backlog
 * (as the embedded queue estimates it), at least 1.
 * @example retryAfterSeconds(64, 16) // 1
 */
export function retryAfterSeconds(waiting: number, throughputPerS: number): number {
  const rate = throughputPerS > 0 ? throughputPerS : 1000 / DEFAULT_JOB_MS
  return Math.max(1, Math.ceil(waiting / rate / 4))
}

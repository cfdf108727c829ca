import { Redis } from 'ioredis'

/** What a connection is for: `commands` fail fast while Redis is unreachable, `blocking` ones wait for it. */
export type RedisConnectionKind = 'commands' | 'blocking'

/** Options of {@link openRedis}. */
export interface OpenRedisOptions {
  /** `commands` (API calls: fail at once when Redis is down, so callers get 503) or `blocking` (BullMQ readers). */
  kind: RedisConnectionKind
  /** Called with connection errors (refused, reset, DNS…); ioredis keeps reconnecting meanwhile. */
  onError?: (error: Error) => void
  /** Connection name shown by `CLIENT LIST`. */
  name?: string
}

/** Longest wait between two reconnection attempts. */
const MAX_RECONNECT_DELAY_MS = 2000

/**
 * Opens an ioredis connection to `REDIS_URL` that reconnects forever (backoff up to 2 s). A `commands` connection
 * queues nothing while disconnected, so a request fails at once instead of hanging; a `blocking` one (BullMQ's
 * workers and event readers) retries its commands across reconnections, as BullMQ requires.
 * @example const redis = openRedis('redis://127.0.0.1:6379', { kind: 'commands' })
 */
export function openRedis(url: string, options: OpenRedisOptions): Redis {
  const commands = options.kind === 'commands'
  const redis = new Redis(url, {
    connectionName: options.name,
    connectTimeout: 2000,
    enableOfflineQueue: !commands,
    maxRetriesPerRequest: commands ? 1 : null,
    retryStrategy: (attempt) => Math.min(100 * attempt, MAX_RECONNECT_DELAY_MS),
  })
  redis.on('error', (error: Error) => options.onError?.(error))
  return redis
}

/** Longest a close waits for Redis to acknowledge (it may be unreachable). */
export const CLOSE_TIMEOUT_MS = 2000

/**
 * Waits for `promise` at most `ms` (closing while Redis is unreachable must not hang a shutdown).
 * @example await atMost(queue.close(), CLOSE_TIMEOUT_MS)
 */
export async function atMost(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  await Promise.race([
    promise.catch(() => {}),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms)
    }),
  ])
  clearTimeout(timer)
}

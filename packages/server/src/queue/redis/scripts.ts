import type { Redis } from 'ioredis'
import type { GenimageKeys } from './keys.js'

/**
 * Reads one job in one round trip: a cancelled-while-queued record, or the BullMQ hash fields a record is made of
 * plus the job's place in the wait list (-1 when not waiting). BullMQ's wait list is LPUSHed: the oldest is last.
 */
const READ_JOB = `
local cancelled = redis.call('GET', KEYS[3])
if cancelled then return {'cancelled', cancelled} end
local h = redis.call('HMGET', KEYS[1], 'data', 'timestamp', 'processedOn', 'finishedOn', 'progress', 'returnvalue', 'failedReason')
if not h[1] then return false end
local position = -1
if not h[4] then
  local index = redis.call('LPOS', KEYS[2], ARGV[1])
  if index then position = redis.call('LLEN', KEYS[2]) - 1 - index end
end
return {'job', h[1], h[2] or '', h[3] or '', h[4] or '', h[5] or '', h[6] or '', h[7] or '', position}
`

/**
 * Claims an owner's idempotency key for a new job, atomically across API nodes. ARGV: fingerprint hash, job id,
 * ttl ms, now ms (the queue's clock decides expiry; Redis's PX only collects garbage), max keys, and the job id the
 * caller saw (replace only that one; '' = only when free). The value is `<fingerprint>\\n<job id>\\n<expires at>`.
 * Answers {'conflict'}, {'existing', jobId} or {'claimed'}; bounds the key count by forgetting the oldest.
 */
const CLAIM_IDEMPOTENCY = `
local now = tonumber(ARGV[4])
local current = redis.call('GET', KEYS[1])
if current then
  local first = string.find(current, '\\n', 1, true)
  local second = string.find(current, '\\n', first + 1, true)
  local fingerprint = string.sub(current, 1, first - 1)
  local jobId = string.sub(current, first + 1, second - 1)
  local expiresAt = tonumber(string.sub(current, second + 1))
  if expiresAt > now then
    if fingerprint ~= ARGV[1] then return {'conflict'} end
    if jobId ~= ARGV[6] then return {'existing', jobId} end
  end
end
local expiresAt = now + tonumber(ARGV[3])
redis.call('SET', KEYS[1], ARGV[1] .. '\\n' .. ARGV[2] .. '\\n' .. expiresAt, 'PX', ARGV[3])
redis.call('ZADD', KEYS[2], expiresAt, KEYS[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local over = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[5])
if over > 0 then
  local oldest = redis.call('ZPOPMIN', KEYS[2], over)
  for i = 1, #oldest, 2 do redis.call('DEL', oldest[i]) end
end
return {'claimed'}
`

/** Frees an idempotency key if it still names job ARGV[1] (its job could not be queued). */
const RELEASE_IDEMPOTENCY = `
local current = redis.call('GET', KEYS[1])
if current and string.find(current, '\\n' .. ARGV[1] .. '\\n', 1, true) then
  redis.call('DEL', KEYS[1])
  redis.call('ZREM', KEYS[2], KEYS[1])
end
return 0
`

/**
 * Takes back job ARGV[1], just added past the queue limit, if it still waits: out of the wait list, its hash and
 * logs deleted (no `removed` event: it was never accepted). Returns 1, or 0 when a worker took it meanwhile.
 */
const WITHDRAW_JOB = `
if redis.call('LREM', KEYS[1], 1, ARGV[1]) == 0 then return 0 end
redis.call('DEL', KEYS[2], KEYS[2] .. ':logs')
return 1
`

/** A job as {@link GenimageScripts.readJob} returns it. */
export type RawJob =
  | { kind: 'cancelled'; record: string }
  | {
      kind: 'job'
      data: string
      timestamp: string
      processedOn: string
      finishedOn: string
      progress: string
      returnvalue: string
      failedReason: string
      position: number
    }

/** The outcome of {@link GenimageScripts.claimIdempotency}. */
export type ClaimResult = { kind: 'conflict' } | { kind: 'existing'; jobId: string } | { kind: 'claimed' }

/** Typed access to genimage's Lua scripts (loaded once per connection, run with EVALSHA). */
export interface GenimageScripts {
  /** One job's raw fields and wait-list position, or `undefined` when Redis has nothing under its id. */
  readJob(id: string): Promise<RawJob | undefined>
  /** Several jobs in one pipeline. */
  readJobs(ids: readonly string[]): Promise<(RawJob | undefined)[]>
  /** See {@link CLAIM_IDEMPOTENCY}. */
  claimIdempotency(key: string, args: ClaimArgs): Promise<ClaimResult>
  /** Frees `key` when it still names `jobId`. */
  releaseIdempotency(key: string, jobId: string): Promise<void>
  /** See {@link WITHDRAW_JOB}: true when the job was taken back, false when a worker holds it. */
  withdraw(id: string): Promise<boolean>
}

/** What {@link GenimageScripts.claimIdempotency} stores and bounds. */
export interface ClaimArgs {
  fingerprint: string
  jobId: string
  ttlMs: number
  now: number
  maxKeys: number
  /** Replace the key only while it names this job ('' when the caller saw none). */
  replacing: string
}

type ScriptedRedis = Redis & {
  giReadJob(job: string, wait: string, cancelled: string, id: string): Promise<unknown>
  giClaimIdempotency(key: string, index: string, ...args: (string | number)[]): Promise<string[]>
  giReleaseIdempotency(key: string, index: string, jobId: string): Promise<number>
  giWithdrawJob(wait: string, job: string, id: string): Promise<number>
}

const parseRawJob = (reply: unknown): RawJob | undefined => {
  if (!Array.isArray(reply)) return undefined
  if (reply[0] === 'cancelled') return { kind: 'cancelled', record: String(reply[1]) }
  const [, data, timestamp, processedOn, finishedOn, progress, returnvalue, failedReason, position] = reply as string[]
  return {
    kind: 'job',
    data: data!,
    timestamp: timestamp!,
    processedOn: processedOn!,
    finishedOn: finishedOn!,
    progress: progress!,
    returnvalue: returnvalue!,
    failedReason: failedReason!,
    position: Number(position),
  }
}

/**
 * Loads genimage's scripts on `redis` and returns typed callers.
 * @example const scripts = defineScripts(redis, genimageKeys('genimage', 'generate'))
 */
export function defineScripts(redis: Redis, keys: GenimageKeys): GenimageScripts {
  redis.defineCommand('giReadJob', { numberOfKeys: 3, lua: READ_JOB })
  redis.defineCommand('giClaimIdempotency', { numberOfKeys: 2, lua: CLAIM_IDEMPOTENCY })
  redis.defineCommand('giReleaseIdempotency', { numberOfKeys: 2, lua: RELEASE_IDEMPOTENCY })
  redis.defineCommand('giWithdrawJob', { numberOfKeys: 2, lua: WITHDRAW_JOB })
  const scripted = redis as ScriptedRedis
  return {
    async readJob(id) {
      return parseRawJob(await scripted.giReadJob(keys.job(id), keys.wait, keys.cancelled(id), id))
    },
    async readJobs(ids) {
      const pipeline = redis.pipeline() as unknown as ScriptedRedis & {
        exec(): Promise<[Error | null, unknown][] | null>
      }
      for (const id of ids) void pipeline.giReadJob(keys.job(id), keys.wait, keys.cancelled(id), id)
      const replies = await pipeline.exec()
      return (replies ?? []).map(([error, reply]) => {
        if (error) throw error
        return parseRawJob(reply)
      })
    },
    async claimIdempotency(key, args) {
      const [kind, jobId] = await scripted.giClaimIdempotency(
        key,
        keys.idempotencyIndex,
        args.fingerprint,
        args.jobId,
        args.ttlMs,
        args.now,
        args.maxKeys,
        args.replacing,
      )
      if (kind === 'conflict') return { kind }
      if (kind === 'existing') return { kind, jobId: jobId! }
      return { kind: 'claimed' }
    },
    async releaseIdempotency(key, jobId) {
      await scripted.giReleaseIdempotency(key, keys.idempotencyIndex, jobId)
    },
    async withdraw(id) {
      return (await scripted.giWithdrawJob(keys.wait, keys.job(id), id)) === 1
    },
  }
}

import type { JobError, JobRecord } from '@genimage/core'
import type { Logger } from 'pino'

/**
 * Logs a finished job of the embedded queue, one line per job.
 * @example new MemoryJobQueue({ …, onJobFinished: logFinishedJob(logger) })
 */
export function logFinishedJob(logger: Logger): (job: JobRecord) => void {
  return (job) =>
    logger.info(
      {
        jobId: job.id,
        outcome: job.outcome,
        status: job.error?.status,
        timings: job.timings,
        size: `${job.input.width}x${job.input.height}`,
        steps: job.input.num_inference_steps,
      },
      job.outcome === 'succeeded' ? 'generation finished' : `generation ${job.outcome}: ${job.error?.message}`,
    )
}

/**
 * Logs a job a Redis worker finished (succeeded, failed or cancelled), one line per job.
 * @example new RedisQueueWorker({ …, onJobFinished: logWorkerJob(logger) })
 */
export function logWorkerJob(logger: Logger): (event: { id: string; error?: JobError; attempt: number }) => void {
  return ({ id, error, attempt }) =>
    logger.info(
      { jobId: id, attempt, status: error?.status, kind: error?.kind },
      error
        ? `generation ${error.kind === 'cancelled' ? 'cancelled' : 'failed'}: ${error.message}`
        : 'generation finished',
    )
}

/** Redis errors are logged at most this often (ioredis retries every second or two while Redis is down). */
const REDIS_ERROR_EVERY_MS = 10_000

/**
 * A Redis error handler that logs the first error, then at most one every 10 s with the count in between.
 * @example new RedisJobQueue({ url, onRedisError: logRedisErrors(logger) })
 */
export function logRedisErrors(logger: Logger): (error: Error) => void {
  let lastAt = 0
  let suppressed = 0
  return (error) => {
    const now = Date.now()
    if (now - lastAt < REDIS_ERROR_EVERY_MS) {
      suppressed += 1
      return
    }
    logger.error(
      { err: error, suppressed },
      `Redis unreachable (${error.message}): new jobs get 503 until it is back; reconnecting`,
    )
    lastAt = now
    suppressed = 0
  }
}

import {
  type CancelResult,
  type DrainOptions,
  type DrainReport,
  type JobOwner,
  type JobQueue,
  type JobRecord,
  type JobRecordListener,
  type QueueHealth,
  queueErrors,
  type SubmitRequest,
} from '@genimage/core'
import type { RedisJobQueue } from './redis-job-queue.js'
import type { RedisQueueWorker } from './redis-worker.js'

/**
 * One node that is both an API node and a worker (`ROLE=all` with `REDIS_URL`): the Redis queue, answering with its
 * own worker's readiness (refusing jobs with `not_ready` until its backend has started, as the embedded queue does),
 * interrupting a cancelled job at once when it runs here, and draining its worker too.
 * @example const node = withLocalWorker(new RedisJobQueue({ url }), new RedisQueueWorker({ url, backend, store }))
 */
export function withLocalWorker(queue: RedisJobQueue, worker: RedisQueueWorker): JobQueue {
  return {
    async submit(request: SubmitRequest): Promise<JobRecord> {
      const { state } = worker.health()
      if (state === 'starting' || state === 'warming_up' || state === 'stopped') {
        throw queueErrors.notReady(worker.backendName, state)
      }
      return queue.submit(request)
    },
    get: (id: string, owner: JobOwner) => queue.get(id, owner),
    watch: (id: string, owner: JobOwner, listener: JobRecordListener) => queue.watch(id, owner, listener),
    waitFor: (id: string, owner: JobOwner, signal?: AbortSignal) => queue.waitFor(id, owner, signal),
    async cancel(id: string, owner: JobOwner): Promise<CancelResult> {
      const result = await queue.cancel(id, owner)
      if (result === 'cancellation_requested') worker.cancelLocal(id)
      return result
    },
    async health(): Promise<QueueHealth> {
      const health = await queue.health()
      const local = worker.health()
      return { ...health, state: local.state, backend: worker.backendName, draining: health.draining || local.draining }
    },
    async drain(options: DrainOptions = {}): Promise<DrainReport> {
      await queue.drain()
      return { dropped: await worker.drain(options.graceMs) }
    },
    async close(): Promise<void> {
      await worker.close()
      await queue.close()
    },
  }
}

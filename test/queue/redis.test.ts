// The queue and the worker as a host imports them from the package; withLocalWorker is the server's own wiring.
import { RedisJobQueue, RedisQueueWorker } from '@genimage/server'
import { afterAll, beforeAll } from 'vitest'
import { withLocalWorker } from '../../packages/server/src/queue/redis/index.js'
import { type RunningRedis, startRedis } from '../scale/redis-server.js'
import { defineQueueConformance } from './conformance.js'

let redis: RunningRedis
let fixtures = 0

beforeAll(async () => {
  redis = await startRedis()
})
afterAll(async () => {
  await redis?.stop()
})

defineQueueConformance(
  'RedisJobQueue (BullMQ on a real redis-server)',
  async ({ backend, store, options }) => {
    fixtures += 1
    // A queue name per test: tests never see each other's jobs, keys or workers.
    const location = { url: redis.url, name: `conformance-${fixtures}` }
    const queueOptions = {
      ...location,
      maxQueueSize: options.maxQueueSize,
      maxAttempts: options.maxAttempts,
      resultTtlMs: options.resultTtlMs,
      maxFinishedJobs: options.maxFinishedJobs,
      idempotencyTtlMs: options.idempotencyTtlMs,
      now: options.now,
    }
    const worker = new RedisQueueWorker({
      ...location,
      backend,
      store,
      jobTimeoutMs: options.jobTimeoutMs,
      now: options.now,
    })
    const api = new RedisJobQueue(queueOptions)
    await worker.start()
    worker.run()
    await api.ready()
    const others: RedisJobQueue[] = []
    return {
      queue: withLocalWorker(api, worker),
      async anotherNode() {
        const other = new RedisJobQueue(queueOptions)
        others.push(other)
        await other.ready()
        return other
      },
      async close() {
        await Promise.all(others.map((other) => other.close()))
        await withLocalWorker(api, worker).close()
      },
    }
  },
  { nodes: true, durable: true },
)

/**
 * The BullMQ queue on Redis: {@link RedisJobQueue} for API nodes, {@link RedisQueueWorker} for workers.
 * @module
 */

export type { OpenRedisOptions, RedisConnectionKind } from './connection.js'
export { openRedis } from './connection.js'
export type { RedisJobQueueOptions, RedisQueueLocation } from './redis-job-queue.js'
export { RedisJobQueue } from './redis-job-queue.js'
export type { RedisQueueWorkerOptions, WorkerHealth } from './redis-worker.js'
export { RedisQueueWorker } from './redis-worker.js'
export { withLocalWorker } from './with-local-worker.js'

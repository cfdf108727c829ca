/**
 * @genimage/server: the genimage API in front of a supervised ComfyUI (or the synthetic backend).
 * @module
 */
export type { ConfiguredBackend } from './backend-from-config.js'
export { createBackendFromConfig } from './backend-from-config.js'
export type { ComfyBackend, ComfyBackendOptions } from './comfyui/index.js'
export { createComfyBackend } from './comfyui/index.js'
export type { ServerConfig } from './config/index.js'
export { ConfigError, configFromCli, loadConfig } from './config/index.js'
export type { GenimageServer } from './create-server.js'
export { createGenimageServer } from './create-server.js'
export { createLogger } from './logger.js'
// The durable queue on Redis (BullMQ), for hosts that compose their own API node (core's createApp given a
// RedisJobQueue) or worker (a RedisQueueWorker over a backend and a store), as ROLE=api and ROLE=worker do.
export type {
  RedisJobQueueOptions,
  RedisQueueLocation,
  RedisQueueWorkerOptions,
  WorkerHealth,
} from './queue/redis/index.js'
export { RedisJobQueue, RedisQueueWorker } from './queue/redis/index.js'
export { createLocalDirStore, createS3Store } from './storage/index.js'
export type { ComfySupervisor, ComfySupervisorOptions } from './supervisor/index.js'
export { createComfySupervisor } from './supervisor/index.js'
export { DEFAULT_MODELS, ensureWeights } from './weights/index.js'

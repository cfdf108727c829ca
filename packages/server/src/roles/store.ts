import { type ImageStore, MemoryImageStore } from '@genimage/core'
import type { Logger } from 'pino'
import type { ServerConfig } from '../config/index.js'
import { createLocalDirStore, createS3Store } from '../storage/index.js'

/**
 * The image store the configuration asks for: S3, a local directory (`FILES_DIR`), or memory.
 * @example const store = createStore(config, logger)
 */
export function createStore(config: ServerConfig, logger: Logger): ImageStore {
  if (config.s3) return createS3Store(config.s3)
  if (config.filesDir) {
    return createLocalDirStore(config.filesDir, {
      maxAgeMs: config.filesRetentionS * 1000,
      maxBytes: config.filesMaxBytes,
      onSweepError: (error) => logger.warn({ err: error }, `FILES_DIR sweep failed: ${error.message}`),
    })
  }
  return new MemoryImageStore({ maxBytes: config.resultCacheBytes })
}

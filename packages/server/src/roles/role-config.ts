import type { ServerConfig } from '../config/index.js'
import { ConfigError } from '../config/index.js'

/**
 * Refuses role settings that cannot work, before anything starts: `ROLE=api` or `worker` without `REDIS_URL` (the
 * embedded queue lives in one process), or with images kept in memory (other processes could not read them).
 * @example checkRoleConfig(config) // throws ConfigError for ROLE=api without REDIS_URL
 */
export function checkRoleConfig(config: ServerConfig): void {
  if (config.role === 'all') return
  if (!config.redisUrl) {
    throw new ConfigError(
      `ROLE=${config.role} needs REDIS_URL (--redis-url): API nodes and workers share jobs through Redis; without it use ROLE=all`,
      '--redis-url',
    )
  }
  if (!config.s3 && !config.filesDir) {
    throw new ConfigError(
      `ROLE=${config.role} needs an image store every node reads: FILES_DIR (--files-dir, a directory shared by the nodes of one host) or STORAGE=s3; images kept in memory would stay in the worker`,
      '--files-dir',
    )
  }
}

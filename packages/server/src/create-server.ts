import type { Logger } from 'pino'
import type { ServerConfig } from './config/index.js'
import { createLogger } from './logger.js'
import { type GenimageServer, roleParts, serveRole } from './roles/index.js'

export type { GenimageServer } from './roles/index.js'

/**
 * Builds the process the configuration describes (`ROLE`): an API node, a worker, or both, over the embedded queue
 * or the Redis queue (`REDIS_URL`), with the configured backend and image store. Throws `ConfigError` for role
 * settings that cannot work (for example `ROLE=api` without `REDIS_URL`).
 * @example
 * const server = createGenimageServer(config)
 * const url = await server.listen()
 */
export function createGenimageServer(
  config: ServerConfig,
  logger: Logger = createLogger(config.logLevel),
): GenimageServer {
  return serveRole(roleParts(config, logger), config, logger)
}

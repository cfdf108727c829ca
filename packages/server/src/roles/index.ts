/**
 * The roles of `genimage-server` (`ROLE=all|api|worker`), each a set of parts behind one HTTP listener.
 * @module
 */
import type { Logger } from 'pino'
import type { ServerConfig } from '../config/index.js'
import { embeddedRole } from './embedded.js'
import type { RoleParts } from './parts.js'
import { allOnRedisRole, apiRole, workerRole } from './redis-roles.js'
import { checkRoleConfig } from './role-config.js'

export type { RoleParts } from './parts.js'
export { checkRoleConfig } from './role-config.js'
export type { GenimageServer } from './serve.js'
export { serveRole } from './serve.js'

/**
 * The parts of the role the configuration asks for; throws `ConfigError` for settings a role cannot work with.
 * @example const server = serveRole(roleParts(config, logger), config, logger)
 */
export function roleParts(config: ServerConfig, logger: Logger): RoleParts {
  checkRoleConfig(config)
  if (config.role === 'api') return apiRole(config, logger)
  if (config.role === 'worker') return workerRole(config, logger)
  return config.redisUrl ? allOnRedisRole(config, logger) : embeddedRole(config, logger)
}

import { ConfigError, configFromCli, isLoopback } from './config/index.js'
import { createGenimageServer, type GenimageServer } from './create-server.js'

const config = configFromCli(process.argv.slice(2), process.env, process)
if (typeof config === 'number') process.exit(config)

let server: GenimageServer
try {
  server = createGenimageServer(config)
} catch (error) {
  // Settings that are valid one by one but not together for the role (ROLE=api without REDIS_URL…).
  if (!(error instanceof ConfigError)) throw error
  process.stderr.write(`genimage-server: ${error.message}\n`)
  process.exit(error.exitCode)
}
let stopping = false
const stop = (signal: string): void => {
  if (stopping) return
  stopping = true
  server.logger.info({ signal }, `${signal}: draining (finishing accepted generations, refusing new ones)`)
  server.close().then(
    () => process.exit(0),
    (error: Error) => {
      server.logger.error({ err: error }, 'shutdown failed')
      process.exit(1)
    },
  )
}
process.once('SIGTERM', () => stop('SIGTERM'))
process.once('SIGINT', () => stop('SIGINT'))

try {
  await server.listen()
} catch (error) {
  server.logger.fatal({ err: error }, `cannot listen on ${config.host}:${config.port}: ${(error as Error).message}`)
  process.exit(1)
}
if (config.role !== 'worker' && config.apiKeys.length === 0 && !isLoopback(config.host)) {
  server.logger.warn(
    { host: config.host },
    `HOST=${config.host} serves the API beyond this machine with no auth: anyone who can reach it can generate images; set API_KEYS`,
  )
}
server.ready.catch(() => {
  void server.close().finally(() => process.exit(1))
})

import { ConfigError } from './errors.js'
import { type LoadConfigContext, loadConfig, type ServerConfig } from './load-config.js'

/** Where {@link configFromCli} writes. */
export interface CliIo {
  stdout: { write(text: string): unknown }
  stderr: { write(text: string): unknown }
}

/**
 * For the server's entry point: prints `--help`/`--version` (returns exit code 0) or a usage error (returns 2),
 * else returns the config to run with. Other errors propagate.
 * @example
 * const result = configFromCli(process.argv.slice(2), process.env, process)
 * if (typeof result === 'number') process.exit(result)
 */
export function configFromCli(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  io: CliIo,
  context?: LoadConfigContext,
): ServerConfig | number {
  try {
    const request = loadConfig(argv, env, context)
    if (request.action === 'run') return request.config
    io.stdout.write(request.text.endsWith('\n') ? request.text : `${request.text}\n`)
    return 0
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    io.stderr.write(`${context?.program ?? 'genimage-server'}: ${error.message}\n`)
    return error.exitCode
  }
}

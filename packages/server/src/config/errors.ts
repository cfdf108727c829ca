/**
 * Invalid command line or environment. The process should print the message and exit with {@link ConfigError.exitCode}
 * before starting anything.
 * @example try { loadConfig(argv, env) } catch (error) { if (error instanceof ConfigError) process.exit(error.exitCode) }
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError'
  /** The option at fault, as its flag (`--port`), when there is one. */
  readonly option: string | undefined
  /** The rejected value, when there is one. */
  readonly value: string | undefined
  /** Exit status for usage errors (as in BSD `sysexits` / GNU tools). @default 2 */
  readonly exitCode = 2

  constructor(message: string, option?: string, value?: string) {
    super(message)
    this.option = option
    this.value = value
  }
}

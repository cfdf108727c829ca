/**
 * Server configuration: one declarative option table, read from flags and environment, validated, with generated help.
 * @module
 */

export type { CliIo } from './cli.js'
export { configFromCli } from './cli.js'
export { ConfigError } from './errors.js'
export type { CliRequest, LoadConfigContext, S3Settings, ServerConfig } from './load-config.js'
export { loadConfig } from './load-config.js'
export { isLoopback } from './loopback.js'
export type { AnyOption, KeyOf, OptionSpec, OptionValues } from './options.js'
export { flagOf, keyOf, OPTIONS } from './options.js'
export { shellWords } from './shell-words.js'
export type { OptionType, ParseContext } from './types.js'
export { renderOptionsMarkdown, renderUsage } from './usage.js'
export { serverVersion } from './version.js'

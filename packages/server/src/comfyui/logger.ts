/**
 * The logging surface the bridge needs; a pino logger fits it.
 * @module
 */

/** Log levels the bridge writes. */
export interface ComfyLogger {
  debug(message: string): void
  info(message: string): void
  warn(message: string): void
  error(message: string): void
}

/** A logger that drops everything. */
export const silentLogger: ComfyLogger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
}

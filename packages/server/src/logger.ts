import { type Logger, pino } from 'pino'

/**
 * The server's structured logger: JSON lines on stdout, one field `msg` per event.
 * @example const logger = createLogger('info')
 */
export function createLogger(level: string): Logger {
  return pino({ name: 'genimage', level, base: { pid: process.pid } })
}

import { GenimageError } from './genimage-error.js'

/**
 * The client gave up waiting: one attempt took longer than `timeout.attempt` (`kind: 'attempt'`, after the retries
 * ran out), or the whole call longer than `timeout.total` (`kind: 'total'`). Distinct from {@link UserAbortError}.
 * @example if (error instanceof TimeoutError && error.kind === 'total') console.error('gave up after', error.timeout, 'ms')
 */
export class TimeoutError extends GenimageError {
  override readonly name: string = 'TimeoutError'
  /** Which limit was hit: one attempt, or the whole call including retries. */
  readonly kind: 'attempt' | 'total'
  /** The limit that was hit, in milliseconds. */
  readonly timeout: number

  constructor(kind: 'attempt' | 'total', timeout: number, request: string) {
    super(
      `${request} timed out after ${timeout} ms (${kind === 'attempt' ? 'one attempt' : 'total, including retries'})`,
    )
    this.kind = kind
    this.timeout = timeout
  }
}

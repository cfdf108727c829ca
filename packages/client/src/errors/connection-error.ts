import { GenimageError } from './genimage-error.js'

/**
 * The request never got an HTTP answer: DNS, refused or reset connection, TLS, CORS. The `cause` is fetch's error.
 * @example if (error instanceof ConnectionError) console.error(error.message, error.cause)
 */
export class ConnectionError extends GenimageError {
  override readonly name: string = 'ConnectionError'

  constructor(request: string, cause: unknown) {
    // Node's fetch says only 'fetch failed'; the useful part (ECONNREFUSED, ENOTFOUND, 'bad port') is one level down.
    const inner = (cause as { cause?: { code?: unknown; message?: unknown } } | null)?.cause
    const reason = inner?.code ?? inner?.message ?? (cause as Error | null)?.message
    super(`Could not reach ${request}${reason ? ` (${String(reason)})` : ''}`, { cause })
  }
}

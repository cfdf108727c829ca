import { describeDetail } from './detail.js'
import { GenimageError } from './genimage-error.js'

/** What every {@link ApiError} is built from. */
export interface ApiErrorInit {
  /** The HTTP status. */
  status: number
  /** The parsed JSON body, or the raw text when it was not JSON. */
  body: unknown
  /** The `x-request-id` of the response, or the id the client sent. */
  requestId: string
  /** The response headers. */
  headers: Headers
}

/**
 * The server answered with an error status. Subclasses name the common ones (`RateLimitError` for 429, …).
 * @example catch (error) { if (error instanceof ApiError) console.log(error.status, error.detail, error.requestId) }
 */
export class ApiError extends GenimageError {
  override readonly name: string = 'ApiError'
  /** The HTTP status. */
  readonly status: number
  /** The parsed JSON body (`{ detail }` for genimage servers), or the raw text when it was not JSON. */
  readonly body: unknown
  /** The server's `detail` as text (422 issues joined as `field: message`); `''` when the body has none. */
  readonly detail: string
  /** The `x-request-id` of the response, or the id the client sent; quote it when reporting a problem. */
  readonly requestId: string
  /** The response headers. */
  readonly headers: Headers

  constructor(init: ApiErrorInit) {
    const detail = describeDetail(init.body)
    super(`HTTP ${init.status}${detail ? `: ${detail}` : ''} (request ${init.requestId})`)
    this.status = init.status
    this.body = init.body
    this.detail = detail
    this.requestId = init.requestId
    this.headers = init.headers
  }
}

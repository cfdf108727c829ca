import { describe, expect, it } from 'vitest'
import { ApiError } from './api-error.js'
import { AuthenticationError } from './authentication-error.js'
import { BadRequestError } from './bad-request-error.js'
import { ConflictError } from './conflict-error.js'
import { ConnectionError } from './connection-error.js'
import { createApiError } from './create-api-error.js'
import { GenerationFailedError } from './generation-failed-error.js'
import { GenerationTimeoutError } from './generation-timeout-error.js'
import { GenimageError } from './genimage-error.js'
import { isApiError, isConnectionError, isGenimageError, isTimeoutError, isUserAbortError } from './guards.js'
import { InternalServerError } from './internal-server-error.js'
import { NotFoundError } from './not-found-error.js'
import { PayloadTooLargeError } from './payload-too-large-error.js'
import { RateLimitError } from './rate-limit-error.js'
import { ServiceUnavailableError } from './service-unavailable-error.js'
import { TimeoutError } from './timeout-error.js'
import { UserAbortError } from './user-abort-error.js'
import { ValidationError } from './validation-error.js'

const init = (status: number, body: unknown, headers: Record<string, string> = {}) => ({
  status,
  body,
  requestId: 'req-9',
  headers: new Headers(headers),
})

describe('createApiError', () => {
  it.each([
    [400, BadRequestError],
    [401, AuthenticationError],
    [404, NotFoundError],
    [409, ConflictError],
    [413, PayloadTooLargeError],
    [422, ValidationError],
    [429, RateLimitError],
    [500, InternalServerError],
    [502, GenerationFailedError],
    [503, ServiceUnavailableError],
    [504, GenerationTimeoutError],
  ])('maps %i to its class with status, body, requestId, headers and name', (status, ErrorClass) => {
    const body = { detail: `problem ${status}` }
    const error = createApiError(init(status, body, { 'x-extra': '1' }))
    expect(error).toBeInstanceOf(ErrorClass)
    expect(error).toBeInstanceOf(ApiError)
    expect(error).toBeInstanceOf(GenimageError)
    expect(error).toMatchObject({ status, body, requestId: 'req-9', name: ErrorClass.name })
    expect(error.headers.get('x-extra')).toBe('1')
  })

  it('falls back to ApiError for statuses without a class', () => {
    const error = createApiError(init(415, { detail: 'Content-Type must be application/json' }))
    expect(error.constructor).toBe(ApiError)
    expect(error.message).toBe('HTTP 415: Content-Type must be application/json (request req-9)')
  })
})

describe('messages', () => {
  it("include the server's detail and the request id", () => {
    const error = createApiError(init(502, { detail: 'Generation failed: CUDA out of memory' }))
    expect(error.message).toBe('HTTP 502: Generation failed: CUDA out of memory (request req-9)')
    expect(error.detail).toBe('Generation failed: CUDA out of memory')
  })

  it('spell 422 issues as field: message, without the body prefix', () => {
    const detail = [
      { loc: ['body', 'width'], msg: 'Input should be a multiple of 8', type: 'multiple_of' },
      { loc: ['body'], msg: 'Field required', type: 'missing' },
    ]
    const error = createApiError(init(422, { detail }))
    expect(error.message).toBe('HTTP 422: width: Input should be a multiple of 8; Field required (request req-9)')
  })

  it('use a text body as is, and say only the status when there is nothing', () => {
    expect(createApiError(init(502, 'Bad gateway from nginx')).message).toBe(
      'HTTP 502: Bad gateway from nginx (request req-9)',
    )
    expect(createApiError(init(404, { status: 'NOT_FOUND' })).message).toBe('HTTP 404 (request req-9)')
  })
})

describe('ValidationError', () => {
  const detail = [
    { loc: ['body', 'width'], msg: 'Input should be a multiple of 8', type: 'multiple_of', input: 513 },
    { loc: ['body', 'height'], msg: 'Input should be less than or equal to 1024', type: 'less_than_equal' },
    { loc: ['body', 'width'], msg: 'Input should be greater than or equal to 256', type: 'greater_than_equal' },
  ]

  it('exposes the detail array as issues and filters them by field', () => {
    const error = new ValidationError(init(422, { detail }))
    expect(error.issues).toEqual(detail)
    expect(error.fieldErrors('width').map((issue) => issue.type)).toEqual(['multiple_of', 'greater_than_equal'])
    expect(error.fieldErrors('seed')).toEqual([])
  })

  it("answers fal's getFieldErrors(field) like fieldErrors(field)", () => {
    const error = new ValidationError(init(422, { detail }))
    expect(error.getFieldErrors('width').map((issue) => issue.msg)).toEqual([
      'Input should be a multiple of 8',
      'Input should be greater than or equal to 256',
    ])
    expect(error.getFieldErrors('height')).toEqual([detail[1]])
  })

  it('has no issues when the body is not the pydantic shape', () => {
    expect(new ValidationError(init(422, 'nope')).issues).toEqual([])
  })
})

describe('retryAfter', () => {
  it('is the Retry-After seconds of a 429 or 503', () => {
    expect(new RateLimitError(init(429, {}, { 'retry-after': '2' })).retryAfter).toBe(2)
    expect(new ServiceUnavailableError(init(503, {}, { 'retry-after': '7' })).retryAfter).toBe(7)
  })

  it('converts an HTTP date to whole seconds, and is undefined without the header', () => {
    const inFiveSeconds = new Date(Date.now() + 4500).toUTCString()
    expect(new RateLimitError(init(429, {}, { 'retry-after': inFiveSeconds })).retryAfter).toBeGreaterThanOrEqual(4)
    expect(new RateLimitError(init(429, {})).retryAfter).toBeUndefined()
  })
})

describe('client-side errors', () => {
  it('TimeoutError says which limit, UserAbortError keeps the reason', () => {
    const timeout = new TimeoutError('attempt', 60_000, 'POST http://x/generate')
    expect(timeout.message).toBe('POST http://x/generate timed out after 60000 ms (one attempt)')
    expect(timeout).toMatchObject({ kind: 'attempt', timeout: 60_000, name: 'TimeoutError' })
    const reason = new Error('navigated away')
    expect(new UserAbortError(reason).cause).toBe(reason)
  })

  it('ConnectionError names the request and the reason', () => {
    const cause = new TypeError('Failed to fetch')
    const error = new ConnectionError('GET http://x/ready', cause)
    expect(error.message).toBe('Could not reach GET http://x/ready (Failed to fetch)')
    expect(error.cause).toBe(cause)
  })
})

describe('guards', () => {
  const api = createApiError(init(500, {}))
  const timeout = new TimeoutError('total', 1, 'x')
  const abort = new UserAbortError(undefined)
  const connection = new ConnectionError('x', new Error('down'))

  it('recognise each kind, and nothing else', () => {
    expect([api, timeout, abort, connection, new Error('x'), null, 'x'].map(isGenimageError)).toEqual([
      true,
      true,
      true,
      true,
      false,
      false,
      false,
    ])
    expect([api, timeout, abort, connection].map(isApiError)).toEqual([true, false, false, false])
    expect([api, timeout, abort, connection].map(isTimeoutError)).toEqual([false, true, false, false])
    expect([api, timeout, abort, connection].map(isUserAbortError)).toEqual([false, false, true, false])
    expect([api, timeout, abort, connection].map(isConnectionError)).toEqual([false, false, false, true])
  })

  it('work for errors from another copy of the package (no shared prototype)', () => {
    const foreign = { isGenimageError: true, name: 'TimeoutError', message: 'x', status: undefined }
    expect(isGenimageError(foreign)).toBe(true)
    expect(isTimeoutError(foreign)).toBe(true)
    expect(isApiError({ isGenimageError: true, status: 429 })).toBe(true)
  })
})

import { request as httpRequest, type IncomingHttpHeaders } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { type OutboundGuard, OutboundRefusedError } from './outbound-guard.js'

/** Options of {@link guardedRequest}. */
export interface GuardedRequestOptions {
  /** @default 'GET' */
  method?: string
  headers?: Record<string, string>
  /** The request body. */
  body?: string | Uint8Array
  /** The whole exchange (connect, send, answer) must end within this time, else it fails. @default 10000 */
  timeoutMs?: number
  /** Largest answer body read; a longer one fails the request. @default 1048576 (1 MiB) */
  maxResponseBytes?: number
  /** `false`: resolve with the status and headers as soon as they arrive, with an empty body (never read). @default true */
  readBody?: boolean
}

/** The answer of a {@link guardedRequest}: any status, 3xx included (redirects are never followed). */
export interface GuardedResponse {
  status: number
  headers: IncomingHttpHeaders
  body: Uint8Array
}

/**
 * One HTTP(S) request under an {@link OutboundGuard}: a literal non-public IP or `localhost` is refused before
 * connecting, a name is resolved by the guard's `lookup` (so the address checked is the address connected to), and a
 * redirect is answered as it is, never followed. Rejects with {@link OutboundRefusedError} when refused, with the
 * network error otherwise, and with a `TimeoutError` past `timeoutMs`.
 * @example const { status } = await guardedRequest(guard, new URL('https://hooks.example.com/x'), { method: 'POST', body: '{}' })
 */
export function guardedRequest(
  guard: OutboundGuard,
  url: URL,
  options: GuardedRequestOptions = {},
): Promise<GuardedResponse> {
  const { timeoutMs = 10_000, maxResponseBytes = 1_048_576 } = options
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return Promise.reject(new OutboundRefusedError(`${url.protocol} URLs are refused: only http and https`))
  }
  const refusal = guard.check(url)
  if (refusal !== undefined) return Promise.reject(new OutboundRefusedError(refusal))
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest
  return new Promise<GuardedResponse>((resolve, reject) => {
    const outgoing = send(url, {
      method: options.method ?? 'GET',
      headers: options.headers,
      lookup: guard.lookupFor(url),
      agent: false,
    })
    const timer = setTimeout(() => {
      outgoing.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { name: 'TimeoutError' }))
    }, timeoutMs)
    const fail = (error: Error): void => {
      clearTimeout(timer)
      reject(error)
    }
    outgoing.on('error', fail)
    outgoing.on('response', (incoming) => {
      if (options.readBody === false) {
        clearTimeout(timer)
        incoming.destroy()
        resolve({ status: incoming.statusCode ?? 0, headers: incoming.headers, body: new Uint8Array() })
        return
      }
      const chunks: Buffer[] = []
      let received = 0
      incoming.on('data', (chunk: Buffer) => {
        received += chunk.length
        if (received > maxResponseBytes) {
          incoming.destroy(new Error(`answer body is larger than ${maxResponseBytes} bytes`))
          return
        }
        chunks.push(chunk)
      })
      incoming.on('error', fail)
      incoming.on('end', () => {
        clearTimeout(timer)
        resolve({ status: incoming.statusCode ?? 0, headers: incoming.headers, body: Buffer.concat(chunks) })
      })
    })
    outgoing.end(options.body)
  })
}

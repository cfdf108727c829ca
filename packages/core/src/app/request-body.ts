import { HttpProblem } from '../errors.js'
import { parseJsonBody } from '../validation/generate-request.js'

/** The `charset` parameter of a `Content-Type`, lower-cased and unquoted, or `undefined` when there is none. */
const charsetOf = (contentType: string): string | undefined => {
  const match = /;\s*charset\s*=\s*("?)([^";\s]*)\1/i.exec(contentType)
  return match ? (match[2] ?? '').toLowerCase() : undefined
}

/** Decodes strict UTF-8; each `decode` call stands alone, so one decoder serves every request. */
const utf8 = new TextDecoder('utf-8', { fatal: true })

/**
 * Reads a JSON request body: 415 unless `Content-Type` is JSON in UTF-8 (no `charset`, or `utf-8`), 413 past
 * `maxBytes` (checked while streaming, so a huge body is never buffered), 400 when it is not UTF-8 or does not parse.
 * @example const body = await readJsonBody(request, 65_536)
 */
export async function readJsonBody(request: Request, maxBytes: number): Promise<unknown> {
  const contentType = request.headers.get('content-type') ?? ''
  if (!/^application\/([\w.+-]+\+)?json\s*(;|$)/i.test(contentType)) {
    throw new HttpProblem(
      415,
      `Content-Type must be application/json (got ${contentType ? `'${contentType}'` : 'none'})`,
    )
  }
  const charset = charsetOf(contentType)
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    throw new HttpProblem(415, `JSON bodies must be UTF-8 (got charset '${charset}')`)
  }
  const tooLarge = (): HttpProblem => new HttpProblem(413, `Request body is larger than ${maxBytes} bytes`)
  const declared = Number(request.headers.get('content-length') ?? Number.NaN)
  if (declared > maxBytes) throw tooLarge()
  if (!request.body) return parseJsonBody('')
  const reader = request.body.getReader()
  const chunks: Uint8Array[] = []
  let received = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    received += value.byteLength
    if (received > maxBytes) {
      // Not awaited: cancelling one branch of a tee'd (cloned) body settles only when the other branch does.
      void reader.cancel().catch(() => {})
      throw tooLarge()
    }
    chunks.push(value)
  }
  let bytes = chunks[0] ?? new Uint8Array(0)
  if (chunks.length > 1) {
    bytes = new Uint8Array(received)
    let offset = 0
    for (const chunk of chunks) {
      bytes.set(chunk, offset)
      offset += chunk.byteLength
    }
  }
  let text: string
  try {
    text = utf8.decode(bytes)
  } catch {
    throw new HttpProblem(400, 'Request body is not valid UTF-8')
  }
  return parseJsonBody(text)
}

/**
 * A stable fingerprint of a route and its JSON body (object keys sorted), for idempotency checks.
 * @example fingerprint('generate', { b: 1, a: 2 }) === fingerprint('generate', { a: 2, b: 1 })
 */
export function fingerprint(route: string, body: unknown): string {
  return `${route}:${JSON.stringify(canonical(body))}`
}

/**
 * A copy of a JSON value with every object's keys inserted in sorted order. The copies have no prototype, so that a
 * `__proto__` key is an own property, as in the parsed body.
 */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical)
  if (value === null || typeof value !== 'object') return value
  const sorted: Record<string, unknown> = Object.create(null)
  for (const key of Object.keys(value).sort()) sorted[key] = canonical((value as Record<string, unknown>)[key])
  return sorted
}

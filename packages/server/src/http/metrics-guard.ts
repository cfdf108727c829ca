import { createHash, timingSafeEqual } from 'node:crypto'

const digest = (text: string): Buffer => createHash('sha256').update(text).digest()

/**
 * Whether a request may read `/metrics`: always when `apiKeys` is empty, else only with one of them as
 * `Authorization: Key <key>` or `Bearer <key>` (compared in constant time), the same keys the API takes.
 * @example metricsAllowed(request, ['k1']) // true for `Authorization: Bearer k1`
 */
export function metricsAllowed(request: Request, apiKeys: readonly string[]): boolean {
  if (apiKeys.length === 0) return true
  const presented = /^(?:Key|Bearer)\s+(\S+)\s*$/i.exec(request.headers.get('authorization') ?? '')?.[1]
  if (presented === undefined) return false
  const hash = digest(presented)
  return apiKeys.some((key) => timingSafeEqual(hash, digest(key)))
}

/**
 * The 401 for `/metrics` without a valid key, shaped like the API's own.
 * @example if (!metricsAllowed(request, keys)) return metricsUnauthorized()
 */
export function metricsUnauthorized(): Response {
  return Response.json(
    { detail: "/metrics needs an API key: send 'Authorization: Bearer <key>' (or set METRICS_PUBLIC=true)" },
    { status: 401, headers: { 'www-authenticate': 'Bearer realm="genimage"', 'cache-control': 'no-store' } },
  )
}

import type { ResolvedProxyOptions } from './options.js'
import { TARGET_HEADER } from './target.js'

const METHODS = 'GET, POST, PUT'
/** Answer headers a cross-origin caller may read. */
const EXPOSED = 'x-request-id, x-fal-request-id, retry-after'

/**
 * The CORS headers of an answer to `request`: none unless its `Origin` is one of `allowedOrigins` (the proxy's own
 * decision; the upstream's CORS headers are always dropped). Credentials are allowed, so that the session cookie that
 * `authorize` checks travels, which is why origins are listed one by one and never `*`.
 * @example corsHeaders(request, resolved) // { 'access-control-allow-origin': 'https://app.example', … }
 */
export function corsHeaders(request: Request, options: ResolvedProxyOptions): Record<string, string> {
  const origin = request.headers.get('origin')
  if (origin === null || !options.allowedOrigins.has(origin)) return {}
  return {
    'access-control-allow-origin': origin,
    'access-control-allow-credentials': 'true',
    'access-control-expose-headers': EXPOSED,
    vary: 'origin',
  }
}

/**
 * The answer to a CORS preflight (`OPTIONS` with `Access-Control-Request-Method`) from an allowed origin, or
 * `undefined` when `request` is not one (it is then refused like any other `OPTIONS`).
 * @example const preflight = preflightResponse(request, resolved); if (preflight) return preflight
 */
export function preflightResponse(request: Request, options: ResolvedProxyOptions): Response | undefined {
  if (request.method !== 'OPTIONS' || !request.headers.has('access-control-request-method')) return undefined
  const headers = corsHeaders(request, options)
  if (!headers['access-control-allow-origin']) return undefined
  return new Response(null, {
    status: 204,
    headers: {
      ...headers,
      'access-control-allow-methods': METHODS,
      'access-control-allow-headers': [...options.allowedHeaders, TARGET_HEADER].join(', '),
      'access-control-max-age': '600',
    },
  })
}

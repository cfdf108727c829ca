/**
 * One genimage route the proxy forwards.
 * @example { name: 'POST /generate', method: 'POST', pattern: /^\/generate$/ }
 */
export interface ProxiedRoute {
  /** The route as the API documents it, for messages. */
  readonly name: string
  readonly method: 'GET' | 'POST' | 'PUT'
  readonly pattern: RegExp
}

// A path segment the API hands out (queue ids, file keys): starts with a letter or digit, so never `.` or `..`.
const ID = '[A-Za-z0-9][A-Za-z0-9._~-]{0,127}'

/**
 * The only routes the proxy forwards: generate, the queue and stored files. Everything else (`/metrics`, `/docs`,
 * other servers' paths) is refused, so the key cannot be used for anything but generating images.
 * @example PROXIED_ROUTES.map((route) => route.name) // ['POST /generate', 'POST /queue/generate', …]
 */
export const PROXIED_ROUTES: readonly ProxiedRoute[] = [
  { name: 'POST /generate', method: 'POST', pattern: /^\/generate$/ },
  { name: 'POST /queue/generate', method: 'POST', pattern: /^\/queue\/generate$/ },
  { name: 'GET /queue/requests/{id}/status', method: 'GET', pattern: new RegExp(`^/queue/requests/${ID}/status$`) },
  {
    name: 'GET /queue/requests/{id}/status/stream',
    method: 'GET',
    pattern: new RegExp(`^/queue/requests/${ID}/status/stream$`),
  },
  { name: 'GET /queue/requests/{id}', method: 'GET', pattern: new RegExp(`^/queue/requests/${ID}$`) },
  { name: 'PUT /queue/requests/{id}/cancel', method: 'PUT', pattern: new RegExp(`^/queue/requests/${ID}/cancel$`) },
  { name: 'GET /files/{key}', method: 'GET', pattern: new RegExp(`^/files/${ID}$`) },
]

/**
 * Finds the route of a path (under the API base) and method: the route, `'method'` when the path is proxied with
 * other methods (their list), or `undefined` when the path is not proxied at all.
 * @example matchRoute('POST', '/generate') // { route: { name: 'POST /generate', … } }
 */
export function matchRoute(
  method: string,
  path: string,
): { route: ProxiedRoute } | { allowed: readonly string[] } | undefined {
  const matching = PROXIED_ROUTES.filter((route) => route.pattern.test(path))
  if (matching.length === 0) return undefined
  const route = matching.find((candidate) => candidate.method === method)
  return route ? { route } : { allowed: matching.map((candidate) => candidate.method) }
}

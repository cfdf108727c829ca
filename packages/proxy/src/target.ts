import type { ResolvedProxyOptions } from './options.js'
import { matchRoute } from './routes.js'

/**
 * Where a proxied request goes, or why it may not.
 * @example { status: 403, detail: 'This proxy only forwards to http://genimage:8787, not to https://evil.example' }
 */
export type TargetResolution =
  | { url: string; route: string }
  | { status: number; detail: string; headers?: Record<string, string> }

/**
 * The header the client's `proxyUrl` mode puts the real URL in.
 * @default 'x-genimage-target-url'
 */
export const TARGET_HEADER = 'x-genimage-target-url'

// `.`/`..` segments, plain or percent-encoded, and backslashes (which some servers treat as `/`).
const DOT_SEGMENT = /(?:^|[/\\])(?:\.|%2e){1,2}(?:[/\\?#]|$)/i
const SNEAKY = /\\|%2f|%5c|%00/i

const refuse = (status: number, detail: string, headers?: Record<string, string>): TargetResolution => ({
  status,
  detail,
  headers,
})

/**
 * Resolves the upstream URL of a browser request: from `x-genimage-target-url` (which must be under `targetUrl`)
 * or from the path after the mount point, then checks the route and method against the allowlist.
 * @example resolveTarget(request, resolved, {}) // { url: 'http://genimage:8787/generate', route: 'POST /generate' }
 */
export function resolveTarget(request: Request, options: ResolvedProxyOptions, path?: string): TargetResolution {
  const { target, prefix } = options
  const header = request.headers.get(TARGET_HEADER)
  let rest: string
  let search: string
  if (header !== null) {
    if (DOT_SEGMENT.test(header) || SNEAKY.test(header)) {
      return refuse(403, `${TARGET_HEADER} must not contain '..', '.', backslashes or encoded slashes`)
    }
    let url: URL
    try {
      url = new URL(header)
    } catch {
      return refuse(403, `${TARGET_HEADER} must be an absolute URL under ${target.origin}${prefix}`)
    }
    if (url.username || url.password) return refuse(403, `${TARGET_HEADER} must not carry credentials`)
    if (url.origin !== target.origin) {
      return refuse(403, `This proxy only forwards to ${target.origin}${prefix}, not to ${url.origin}`)
    }
    if (url.pathname !== prefix && !url.pathname.startsWith(`${prefix}/`)) {
      return refuse(403, `This proxy only forwards to ${target.origin}${prefix}, not to ${url.origin}${url.pathname}`)
    }
    rest = url.pathname.slice(prefix.length)
    search = url.search
  } else {
    const requestUrl = new URL(request.url)
    const { mountPath } = options
    let raw = path
    if (raw === undefined) {
      const pathname = requestUrl.pathname
      if (pathname !== mountPath && !pathname.startsWith(`${mountPath}/`)) {
        return refuse(404, `Not a genimage proxy path: ${pathname} (the proxy is mounted at ${mountPath})`)
      }
      raw = pathname.slice(mountPath.length)
    }
    if (DOT_SEGMENT.test(raw) || SNEAKY.test(raw)) {
      return refuse(403, "The proxied path must not contain '..', '.', backslashes or encoded slashes")
    }
    rest = raw.split('?')[0] || '/'
    search = requestUrl.search
  }
  const match = matchRoute(request.method, rest)
  if (!match) {
    return refuse(404, `${rest} is not proxied: only the generate, queue and file routes of genimage are`)
  }
  if ('allowed' in match) {
    return refuse(405, `${request.method} ${rest} is not proxied; use ${match.allowed.join(' or ')}`, {
      allow: match.allowed.join(', '),
    })
  }
  return { url: `${target.origin}${prefix}${rest}${search}`, route: match.route.name }
}

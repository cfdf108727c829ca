/**
 * @genimage/proxy/next: the key-safe proxy as Next.js App Router route handlers.
 * @module
 */
import { createProxyHandler } from './handler.js'
import type { ProxyOptions } from './options.js'

/**
 * One App Router route handler: a WHATWG `Request` in, a `Response` out.
 * @example export const POST: NextRouteHandler = handlers.POST
 */
export type NextRouteHandler = (request: Request) => Promise<Response>

/**
 * The handlers to export from a route file; genimage uses only these three methods.
 * @example export const { GET, POST, PUT } = createNextRouteHandlers(options)
 */
export interface NextRouteHandlers {
  /** Status, status stream, result and file calls. */
  GET: NextRouteHandler
  /** `/generate` and `/queue/generate`. */
  POST: NextRouteHandler
  /** Cancel. */
  PUT: NextRouteHandler
  /** CORS preflights; present only with `allowedOrigins`. */
  OPTIONS?: NextRouteHandler
}

/**
 * Route handlers for `app/api/genimage/[[...path]]/route.ts` (the catch-all also serves `/api/genimage/files/…`
 * image URLs; with only the client's `proxyUrl`, `app/api/genimage/route.ts` is enough).
 * @example
 * // app/api/genimage/[[...path]]/route.ts
 * import { createNextRouteHandlers } from '@genimage/proxy/next'
 * export const { GET, POST, PUT } = createNextRouteHandlers({
 *   targetUrl: process.env.GENIMAGE_URL!,
 *   apiKey: process.env.GENIMAGE_API_KEY!,
 *   authorize: async () => (await auth()) !== null,
 * })
 */
export function createNextRouteHandlers(options: ProxyOptions): NextRouteHandlers {
  const handler = createProxyHandler(options)
  const route: NextRouteHandler = (request) => handler(request)
  const preflight = options.allowedOrigins?.length ? { OPTIONS: route } : {}
  return { GET: route, POST: route, PUT: route, ...preflight }
}

export type { ProxyOptions } from './options.js'

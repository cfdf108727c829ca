/**
 * @genimage/proxy/hono: the key-safe proxy as a Hono handler.
 * @module
 */
import { createProxyHandler } from './handler.js'
import type { ProxyOptions } from './options.js'

/**
 * The part of Hono's `Context` the proxy reads; Hono's own `Context` fits it.
 * @example createHonoProxy(options)(c)
 */
export interface HonoContextLike {
  req: {
    /** The WHATWG request, passed on whole (headers included: nothing the client sent is lost before the allowlist). */
    raw: Request
    /** The matched route, such as `/api/genimage/*`; its prefix is the mount point. */
    routePath?: string
  }
}

/**
 * A Hono handler for the key-safe proxy. Mount it on a wildcard route; the mount point is read from the route.
 * @example
 * app.all('/api/genimage/*', createHonoProxy({ targetUrl, apiKey, authorize: (request) => hasSession(request) }))
 * app.all('/api/genimage', createHonoProxy(options)) // for the client's proxyUrl only
 */
export function createHonoProxy(options: ProxyOptions): (c: HonoContextLike) => Promise<Response> {
  const handler = createProxyHandler(options)
  return (c) => {
    const request = c.req.raw
    const route = c.req.routePath
    let path: string | undefined
    if (route?.endsWith('/*') && !route.includes(':')) {
      const mount = route.slice(0, -2)
      const pathname = new URL(request.url).pathname
      if (pathname === mount || pathname.startsWith(`${mount}/`)) path = pathname.slice(mount.length)
    }
    return handler(request, { path })
  }
}

export type { ProxyOptions } from './options.js'

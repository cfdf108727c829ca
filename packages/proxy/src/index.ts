/**
 * @genimage/proxy: let browsers call genimage through your server without ever seeing the API key. Closed by
 * default: who may call is your `authorize`, what may be called is genimage's generate, queue and file routes.
 * Adapters: `@genimage/proxy/next`, `@genimage/proxy/express`, `@genimage/proxy/hono`.
 * @module
 */
export type { ProxyHandler, ProxyRequestContext } from './handler.js'
export { createProxyHandler } from './handler.js'
export type { ProxyOptions, ResolvedProxyOptions } from './options.js'
export { DEFAULT_ALLOWED_HEADERS, resolveProxyOptions } from './options.js'
export type { ProxiedRoute } from './routes.js'
export { matchRoute, PROXIED_ROUTES } from './routes.js'
export type { TargetResolution } from './target.js'
export { resolveTarget, TARGET_HEADER } from './target.js'

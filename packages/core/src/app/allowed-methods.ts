/** A route as Hono lists it in `app.routes`. */
interface Route {
  readonly method: string
  readonly path: string
}

const patternOf = (path: string): RegExp =>
  new RegExp(
    `^${path
      .split('/')
      .map((part) =>
        part.startsWith(':') ? '[^/]+' : part === '*' ? '.*' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
      )
      .join('/')}/?$`,
  )

/**
 * The methods the app answers on `path` (with `HEAD` where `GET` is), from its routes other than catch-alls; empty
 * for an unknown path.
 * For the `Allow` header of a 405.
 * @example allowedMethods(app.routes, '/health') // ['GET', 'HEAD']
 */
export function allowedMethods(routes: readonly Route[], path: string): string[] {
  const methods = new Set<string>()
  for (const route of routes) {
    // Catch-alls (a host's `GET *` serving static files) answer where nothing else does: they define no method.
    if (route.method === 'ALL' || route.path.endsWith('*') || !patternOf(route.path).test(path)) continue
    methods.add(route.method)
    if (route.method === 'GET') methods.add('HEAD')
  }
  return [...methods]
}

import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import type { Hono } from 'hono'

/**
 * Serves Scalar's standalone bundle (from the installed `@scalar/api-reference`) at `/docs/scalar.js`, which turns
 * the static `/docs` page of core into Scalar's interactive reference with "try it" against this server. Offline:
 * the bundle is read from the package, and the page turns off Scalar's fonts, telemetry and AI features.
 * @example registerScalarBundle(app)
 */
export function registerScalarBundle(app: Hono): void {
  let bundle: Promise<Uint8Array> | undefined
  app.get('/docs/scalar.js', async (c) => {
    bundle ??= readFile(createRequire(import.meta.url).resolve('@scalar/api-reference/browser/standalone.js'))
    const bytes = await bundle
    return c.body(bytes as Uint8Array<ArrayBuffer>, 200, {
      'content-type': 'text/javascript; charset=utf-8',
      'cache-control': 'public, max-age=3600',
    })
  })
}

import { existsSync, readFileSync } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import { dirname, extname, join, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Hono } from 'hono'

/** Content types of the files a Vite build writes. */
const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
}

/**
 * The `<meta>` that tells the page it is served by a genimage server, so it calls this origin instead of starting
 * the in-browser mocks (see `examples/web/src/api.ts`).
 * @default '<meta name="genimage-api" content="same-origin">'
 */
export const PLAYGROUND_META = '<meta name="genimage-api" content="same-origin">'

/** Vite puts content-hashed files under `assets/`: they never change, so browsers may keep them for a year. */
const IMMUTABLE = 'public, max-age=31536000, immutable'

/**
 * Serves a built web app (`examples/web/dist`) at `/`: `index.html` at `/` with {@link PLAYGROUND_META} added, the
 * other files with their content type and cache headers. Register it after the API routes: it only answers GETs
 * for files that exist under `dir` (no dotfiles, no path traversal) and passes everything else on, so it never
 * shadows an API route or the API's JSON 404.
 * @example registerPlayground(app, '/srv/genimage/examples/web/dist')
 */
export function registerPlayground(app: Hono, dir: string): void {
  const root = resolve(dir)
  app.get('*', async (c, next) => {
    let path: string
    try {
      path = decodeURIComponent(c.req.path)
    } catch {
      return next()
    }
    const segments = path.split('/').filter(Boolean)
    if (path.includes('\0') || path.includes('\\') || segments.some((segment) => segment.startsWith('.'))) return next()
    const file = resolve(root, ...(segments.length === 0 ? ['index.html'] : segments))
    if (!file.startsWith(root + sep)) return next()
    const info = await stat(file).catch(() => undefined)
    if (!info?.isFile()) return next()
    const etag = `W/"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`
    const hashed = segments[0] === 'assets'
    const headers: Record<string, string> = {
      'content-type': CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
      'cache-control': hashed ? IMMUTABLE : 'no-cache',
      'x-content-type-options': 'nosniff',
      etag,
    }
    if (c.req.header('if-none-match') === etag) return c.body(null, 304, headers)
    if (extname(file) === '.html') {
      const html = await readFile(file, 'utf8')
      const marked = /<\/head>/i.test(html)
        ? html.replace(/<\/head>/i, (end) => `  ${PLAYGROUND_META}\n  ${end}`)
        : `${PLAYGROUND_META}\n${html}`
      return c.body(marked, 200, headers)
    }
    return c.body(new Uint8Array(await readFile(file)), 200, headers)
  })
}

/**
 * Finds the built playground of this checkout, `examples/web/dist` beside `packages/server` (from `src/` or from the
 * bundled `dist/`), or `undefined` when it is not built (an npm install of the server, a Docker image).
 * @example const dir = findPlaygroundDir(); if (dir) registerPlayground(app, dir)
 */
export function findPlaygroundDir(from: string = import.meta.url): string | undefined {
  let directory = dirname(fileURLToPath(from))
  for (let depth = 0; depth < 4; depth++) {
    const manifest = join(directory, 'package.json')
    if (existsSync(manifest)) {
      let name: unknown
      try {
        name = (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name
      } catch {}
      if (name !== '@genimage/server') return undefined
      const dist = resolve(directory, '../../examples/web/dist')
      return existsSync(join(dist, 'index.html')) ? dist : undefined
    }
    directory = dirname(directory)
  }
  return undefined
}

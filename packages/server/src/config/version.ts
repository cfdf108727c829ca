import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * The version of `@genimage/server`, read from the nearest `package.json` of that name above this module
 * (works from `src/` and from a bundled `dist/`).
 * @example serverVersion() // '0.1.0'
 */
export function serverVersion(from: string = fileURLToPath(import.meta.url)): string {
  let dir = dirname(from)
  for (;;) {
    try {
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
        name?: string
        version?: string
      }
      if (manifest.name === '@genimage/server' && manifest.version) return manifest.version
    } catch {
      // Not here; look further up.
    }
    const parent = dirname(dir)
    if (parent === dir) return '0.0.0-unknown'
    dir = parent
  }
}

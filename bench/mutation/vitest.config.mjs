// The vitest config Stryker runs for one package (MUTATION_PACKAGE): only that package's tests, with the package
// resolved to the mutated sources of Stryker's sandbox (a workspace symlink would lead back to the unmutated tree).
import { resolve } from 'node:path'
import { defineConfig } from 'vitest/config'

const name = process.env.MUTATION_PACKAGE ?? 'client'
const root = resolve(import.meta.dirname, '../..')

export default defineConfig({
  resolve: {
    conditions: ['genimage-source'],
    alias: { [`@genimage/${name}`]: resolve(root, `packages/${name}/src/index.ts`) },
  },
  ssr: { resolve: { conditions: ['genimage-source'] } },
  test: {
    root,
    include: [`packages/${name}/{src,test}/**/*.test.ts`],
    exclude: ['**/*.browser.test.ts', '**/node_modules/**'],
    testTimeout: 30_000,
  },
})

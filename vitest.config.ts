import { defineConfig } from 'vitest/config'

/** Source-first resolution: workspace packages resolve to their `src/` through the `genimage-source` condition. */
const sourceFirst = {
  resolve: { conditions: ['genimage-source'] },
  ssr: { resolve: { conditions: ['genimage-source'] } },
}

export default defineConfig({
  ...sourceFirst,
  test: {
    projects: [
      { extends: true, test: { name: 'core', include: ['packages/core/{src,test}/**/*.test.ts'] } },
      { extends: true, test: { name: 'client', include: ['packages/client/{src,test}/**/*.test.ts'] } },
      {
        extends: true,
        test: { name: 'mocks', include: ['packages/mocks/{src,test}/**/*.test.ts'], exclude: ['**/*.browser.test.ts'] },
      },
      {
        extends: true,
        test: { name: 'fake-comfyui', include: ['packages/fake-comfyui/{src,test}/**/*.test.ts'], testTimeout: 30_000 },
      },
      {
        extends: true,
        test: { name: 'server', include: ['packages/server/{src,test}/**/*.test.ts'], testTimeout: 30_000 },
      },
      { extends: true, test: { name: 'contract', include: ['test/contract/**/*.test.ts'], testTimeout: 30_000 } },
      { extends: true, test: { name: 'queue', include: ['test/queue/**/*.test.ts'], testTimeout: 30_000 } },
      { extends: true, test: { name: 'server-e2e', include: ['test/server/**/*.test.ts'], testTimeout: 60_000 } },
      { extends: true, test: { name: 'integration', include: ['test/integration/**/*.test.ts'] } },
      {
        extends: true,
        test: { name: 'proxy', include: ['packages/proxy/{src,test}/**/*.test.ts'], testTimeout: 30_000 },
      },
      {
        extends: true,
        test: {
          name: 'examples',
          include: ['examples/*/{src,test}/**/*.test.ts', 'test/examples/**/*.test.ts'],
          testTimeout: 30_000,
        },
      },
      { extends: true, test: { name: 'browser', include: ['test/browser/**/*.test.ts'], testTimeout: 60_000 } },
      {
        extends: true,
        test: { name: 'scale', include: ['test/scale/**/*.test.ts'], testTimeout: 120_000, hookTimeout: 120_000 },
      },
    ],
  },
})

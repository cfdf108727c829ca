// StrykerJS over one workspace package (MUTATION_PACKAGE: client, core or proxy), run by bench/mutation/run.mjs.
const name = process.env.MUTATION_PACKAGE ?? 'client'

/**
 * Left out beyond generated code and test helpers: core's synthetic image encoders (PNG/JPEG/WebP bit writers and
 * tables), about half of core's mutants, where a mutant changes bytes that the decode tests catch; too slow for
 * 2 cores and saying little about the API.
 */
const skipped = { core: ['synthetic/images/**'] }

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  plugins: ['@stryker-mutator/vitest-runner'],
  vitest: { configFile: 'bench/mutation/vitest.config.mjs', related: true },
  mutate: [
    `packages/${name}/src/**/*.ts`,
    '!**/*.test.ts',
    '!**/*.d.ts',
    '!**/generated/**',
    '!**/test-helpers.ts',
    ...(skipped[name] ?? []).map((path) => `!packages/${name}/src/${path}`),
  ],
  coverageAnalysis: 'perTest',
  concurrency: Number(process.env.MUTATION_CONCURRENCY ?? 1),
  incremental: true,
  incrementalFile: `bench/.tmp/mutation/${name}/incremental.json`,
  tempDirName: 'bench/.tmp/mutation/sandbox',
  cleanTempDir: 'always',
  ignorePatterns: ['bench/.tmp', 'bench/results', 'test-results', '.turbo', '**/dist', '.git'],
  reporters: ['clear-text', 'progress-append-only', 'json'],
  jsonReporter: { fileName: `bench/.tmp/mutation/${name}/mutation.json` },
  clearTextReporter: { allowEmojis: false, logTests: false, maxTestsToLog: 0 },
  timeoutMS: 10_000,
  thresholds: { high: 90, low: 80, break: null },
}

import { defineConfig } from 'tsup'

// No runtime dependencies: the request loop is our own (see README "Why no ky"), so there is nothing to bundle or
// externalize, and `dist/index.cjs` is plain CommonJS that `require()` loads on any Node with `fetch`.
export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  target: 'es2020',
  platform: 'neutral',
})

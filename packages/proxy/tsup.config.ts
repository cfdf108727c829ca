import { defineConfig } from 'tsup'

// Framework-free core plus thin adapters; none of them imports a framework at run time.
export default defineConfig({
  entry: ['src/index.ts', 'src/next.ts', 'src/express.ts', 'src/hono.ts'],
  format: ['esm'],
  dts: true,
  clean: true,
  target: 'node20',
  platform: 'neutral',
  sourcemap: true,
  external: ['node:stream'],
})

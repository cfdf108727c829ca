import { defineConfig } from 'tsup'

export default defineConfig({
  entry: ['src/index.ts', 'src/node.ts', 'src/browser.ts', 'src/cli.ts'],
  format: ['esm'],
  dts: { entry: ['src/index.ts', 'src/node.ts', 'src/browser.ts'] },
  clean: true,
  target: 'es2022',
  sourcemap: true,
  // msw is the user's peer: its runtime-specific entry points must never be bundled.
  external: ['msw', 'msw/node', 'msw/browser'],
})

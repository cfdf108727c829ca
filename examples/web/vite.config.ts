import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { defaultClientConditions, defineConfig, type Plugin } from 'vite'

const require = createRequire(import.meta.url)

/**
 * Serves msw's worker script at `/mockServiceWorker.js` in dev and writes it into `dist/`, always from the installed
 * msw (a copy in `public/` could fall out of step with the library after an upgrade).
 */
function mockServiceWorker(): Plugin {
  const read = () => readFileSync(require.resolve('msw/mockServiceWorker.js'), 'utf8')
  return {
    name: 'genimage:mock-service-worker',
    configureServer(server) {
      server.middlewares.use('/mockServiceWorker.js', (_request, response) => {
        response.setHeader('content-type', 'text/javascript; charset=utf-8')
        response.end(read())
      })
    },
    generateBundle() {
      this.emitFile({ type: 'asset', fileName: 'mockServiceWorker.js', source: read() })
    },
  }
}

export default defineConfig({
  plugins: [mockServiceWorker()],
  // Inside this monorepo, @genimage/* resolve to their TypeScript sources, so `npm run dev` needs no build first.
  // An app that installs the packages from npm does not need this line.
  resolve: { conditions: ['genimage-source', ...defaultClientConditions] },
  // The mocks chunk (msw + the synthetic image painter) is large but only ever loaded in mock mode.
  build: { target: 'es2022', chunkSizeWarningLimit: 600 },
})

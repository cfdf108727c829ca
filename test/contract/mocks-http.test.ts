import { startMockHttpServer } from '@genimage/mocks/node'
import { mockOptionsFor } from './mock-options.js'
import { defineContractSuite } from './suite.js'

defineContractSuite({
  name: 'mock HTTP server (genimage-mock)',
  async start(options) {
    const server = await startMockHttpServer({ ...mockOptionsFor(options), port: 0 })
    return { baseUrl: server.url, fetch: globalThis.fetch, close: () => server.close() }
  },
})

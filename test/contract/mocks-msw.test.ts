import { setupGenimageServer } from '@genimage/mocks/node'
import { mockOptionsFor } from './mock-options.js'
import { defineContractSuite } from './suite.js'

defineContractSuite({
  name: 'mocks in-process (msw/node)',
  async start(options) {
    const baseUrl = 'http://genimage.test'
    const { server } = setupGenimageServer({ ...mockOptionsFor(options), baseUrl })
    server.listen({ onUnhandledRequest: 'error' })
    return {
      baseUrl,
      fetch: (input, init) => globalThis.fetch(input, init),
      close: async () => server.close(),
    }
  },
})

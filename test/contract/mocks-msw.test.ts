import { setupGenimageServer } from '@genimage/mocks/node'
import { mockOptionsFor } from './mock-options.js'
import { defineContractSuite } from './suite.js'

defineContractSuite({
  name: 'mocks in-process (msw/node)',
  async start(options) {
    const baseUrl = 'http://genimage.test'
    const { server } = setupGenimageServer({ ...mockOptionsFor(options), baseUrl })
    // Webhooks the mock POSTs to the contract's loopback receiver go out to it; anything else unhandled is an error.
    server.listen({
      onUnhandledRequest: (request, print) => {
        if (new URL(request.url).hostname !== '127.0.0.1') print.error()
      },
    })
    return {
      baseUrl,
      fetch: (input, init) => globalThis.fetch(input, init),
      close: async () => server.close(),
    }
  },
})

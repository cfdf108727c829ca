import { setupGenimageServer } from '@genimage/mocks/node'
import { mockOptionsFor } from './mock-options.js'
import { defineContractSuite } from './suite.js'

defineContractSuite({
  name: 'mocks in-process (msw/node)',
  async start(options) {
    const baseUrl = 'http://genimage.test'
    const { server } = setupGenimageServer({ ...mockOptionsFor(options), baseUrl })
    // Webhooks the mock POSTs to the contract's loopback receiver go out to it; anything else unhandled is an error.
    // msw 3 reads onUnhandledFrame, msw 2 (the Node 20 leg) onUnhandledRequest; each ignores the other's name.
    const loopbackOnly = (request: Request | undefined) =>
      request !== undefined && new URL(request.url).hostname === '127.0.0.1'
    const unhandled = {
      onUnhandledFrame: ({ frame, defaults }: { frame: { data: unknown }; defaults: { error(): void } }) => {
        if (!loopbackOnly((frame.data as { request?: Request }).request)) defaults.error()
      },
      onUnhandledRequest: (request: Request, print: { error(): void }) => {
        if (!loopbackOnly(request)) print.error()
      },
    }
    server.listen(unhandled)
    return {
      baseUrl,
      fetch: (input, init) => globalThis.fetch(input, init),
      close: async () => server.close(),
    }
  },
})

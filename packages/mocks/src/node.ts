/**
 * @genimage/mocks/node: the mocked genimage API for Node test runners (vitest, jest, node:test), through msw/node.
 * @module
 */
import { type SetupServer, setupServer } from 'msw/node'
import { createGenimageMock, type GenimageMock, type GenimageMockOptions } from './mock.js'

export type { MockControls } from './controls.js'
export type { MockHttpServer, MockHttpServerOptions } from './http-server.js'
export { startMockHttpServer } from './http-server.js'
export type { GenimageMock, GenimageMockOptions } from './mock.js'
export { createGenimageMock, createHandlers } from './mock.js'
export type { ScenarioOptions, Scenarios } from './scenarios.js'

/**
 * An msw/node server answering like a genimage API, plus the mock behind it.
 * @example
 * const { server, genimage } = setupGenimageServer({ baseUrl: 'https://api.example.com' })
 * beforeAll(() => server.listen({ onUnhandledFrame: 'error' }) // msw 2: onUnhandledRequest)
 * afterEach(() => { server.resetHandlers(); genimage.reset() })
 * afterAll(() => server.close())
 */
export function setupGenimageServer(options: GenimageMockOptions = {}): {
  server: SetupServer
  genimage: GenimageMock
} {
  const genimage = createGenimageMock(options)
  return { server: setupServer(...genimage.handlers), genimage }
}

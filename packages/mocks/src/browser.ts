/**
 * @genimage/mocks/browser: the mocked genimage API in the browser, through msw's service worker.
 * Serve msw's worker script first: `npx msw init public --save`.
 * @module
 */
import { type SetupWorker, setupWorker } from 'msw/browser'
import { createGenimageMock, type GenimageMock, type GenimageMockOptions } from './mock.js'

export type { MockControls } from './controls.js'
export type { GenimageMock, GenimageMockOptions } from './mock.js'
export { createGenimageMock, createHandlers } from './mock.js'
export type { ScenarioOptions, Scenarios } from './scenarios.js'

/**
 * An msw service worker answering like a genimage API, plus the mock behind it. Call `worker.start()` before use.
 * @example
 * const { worker } = setupGenimageWorker({ baseUrl: '/api' })
 * await worker.start({ serviceWorker: { url: '/mockServiceWorker.js' }, onUnhandledFrame: 'bypass' }) // msw 2: onUnhandledRequest
 */
export function setupGenimageWorker(options: GenimageMockOptions = {}): {
  worker: SetupWorker
  genimage: GenimageMock
} {
  const genimage = createGenimageMock(options)
  return { worker: setupWorker(...genimage.handlers), genimage }
}

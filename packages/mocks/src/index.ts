/**
 * @genimage/mocks: MSW handlers that answer like the genimage API, for any runtime.
 * Use `@genimage/mocks/node` or `@genimage/mocks/browser` for ready-made servers and workers.
 * @module
 */
export type { MockControls } from './controls.js'
export type { GenimageMock, GenimageMockOptions } from './mock.js'
export { createGenimageMock, createHandlers, MOCK_WEBHOOK_SECRET } from './mock.js'
export type { ScenarioOptions, Scenarios } from './scenarios.js'

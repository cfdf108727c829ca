import { setupGenimageWorker } from '@genimage/mocks/browser'

/**
 * Scenarios the page can start with, from `?scenario=…`, to see each error message without a real failure.
 * @example http://localhost:5173/?scenario=rateLimited
 */
export const SCENARIOS = [
  'validationError',
  'rateLimited',
  'serverError',
  'slow',
  'stuckInQueue',
  'failAfterProgress',
  'networkError',
] as const

/**
 * Starts the genimage mocks in a service worker under `/api` of this page, slow enough to watch the progress.
 * Loaded with `import()` only in mock mode, so pages served by a real server never download msw.
 * @example await startMockApi('rateLimited')
 */
export async function startMockApi(scenario: string | null): Promise<void> {
  const { worker, genimage } = setupGenimageWorker({ baseUrl: '/api', stepMs: 250, overheadMs: 150 })
  await worker.start({
    serviceWorker: { url: `${import.meta.env.BASE_URL}mockServiceWorker.js` },
    onUnhandledFrame: 'bypass',
    quiet: true,
  })
  if (!scenario) return
  if (!(SCENARIOS as readonly string[]).includes(scenario)) {
    throw new Error(`Unknown ?scenario=${scenario}; use one of ${SCENARIOS.join(', ')}`)
  }
  const name = scenario as (typeof SCENARIOS)[number]
  worker.use(
    ...(name === 'validationError' ? genimage.scenarios.validationError({ width: 300 }) : genimage.scenarios[name]()),
  )
}

/**
 * Which API the page talks to.
 * - `mock`: the genimage mocks in a service worker (no server at all), under `/api` of this page.
 * - `server`: a real genimage server, at `baseUrl`.
 * @example { kind: 'server', baseUrl: 'http://localhost:8787' }
 */
export type ApiTarget = { kind: 'mock'; baseUrl: string } | { kind: 'server'; baseUrl: string }

/**
 * The name of the `<meta>` the genimage server adds (content `same-origin`) when it serves this page as its playground.
 * @default 'genimage-api'
 */
export const PLAYGROUND_META = 'genimage-api'

/**
 * Decides where API calls go, first match wins: `?api=<url>` (`?api=mock` forces the mocks), `VITE_GENIMAGE_URL`,
 * the playground `<meta name="genimage-api" content="same-origin">` the server injects, else the mocks.
 * @example resolveApi(new URL(location.href), import.meta.env.VITE_GENIMAGE_URL, document)
 */
export function resolveApi(page: URL, configured: string | undefined, document: Document): ApiTarget {
  const mock: ApiTarget = { kind: 'mock', baseUrl: `${page.origin}/api` }
  const fromQuery = page.searchParams.get('api')
  if (fromQuery === 'mock') return mock
  const chosen =
    fromQuery || configured || document.querySelector<HTMLMetaElement>(`meta[name="${PLAYGROUND_META}"]`)?.content
  if (!chosen) return mock
  if (chosen === 'same-origin') return { kind: 'server', baseUrl: page.origin }
  return { kind: 'server', baseUrl: new URL(chosen, page).href.replace(/\/+$/, '') }
}

/**
 * Removes a mocks service worker left by an earlier visit to this origin, so that a real server is really called.
 * @example if (api.kind === 'server') await stopStaleMockWorkers()
 */
export async function stopStaleMockWorkers(): Promise<void> {
  const registrations = (await navigator.serviceWorker?.getRegistrations()) ?? []
  await Promise.all(
    registrations
      .filter((registration) => registration.active?.scriptURL.endsWith('/mockServiceWorker.js'))
      .map((registration) => registration.unregister()),
  )
}

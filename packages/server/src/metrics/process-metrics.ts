import { collectDefaultMetrics, Registry } from 'prom-client'

let registry: Registry | undefined

/**
 * prom-client's default metrics of this process (CPU, memory, heap, event loop lag, GC, handles, open files), in
 * one registry per process, created on first use.
 * @example const text = await processMetrics().metrics()
 */
export function processMetrics(): Registry {
  if (!registry) {
    registry = new Registry()
    collectDefaultMetrics({ register: registry })
  }
  return registry
}

/**
 * Appends the process metrics to a `/metrics` answer (core's registry: the `genimage_*` families), keeping its
 * status and headers; one Prometheus text answer.
 * @example if (pathname === '/metrics') return withProcessMetrics(await app.fetch(request))
 */
export async function withProcessMetrics(response: Response): Promise<Response> {
  if (response.status !== 200) return response
  const core = await response.text()
  const text = `${core}${core === '' || core.endsWith('\n') ? '' : '\n'}${await processMetrics().metrics()}`
  const headers = new Headers(response.headers)
  headers.delete('content-length')
  return new Response(text, { status: 200, headers })
}

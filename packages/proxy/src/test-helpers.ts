import { createClient, type GenimageClient } from '@genimage/client'
import { type MockHttpServer, startMockHttpServer } from '@genimage/mocks/node'

/**
 * The upstream key every test configures; no browser-facing byte may contain it.
 * @example expect(await everything(response)).not.toContain(KEY)
 */
export const KEY = 'secret'

/**
 * A mock genimage server over real HTTP that requires {@link KEY}.
 * @example const upstream = await startUpstream({ mode: 'manual' })
 */
export const startUpstream = (options: { mode?: 'auto' | 'manual'; stepMs?: number } = {}): Promise<MockHttpServer> =>
  startMockHttpServer({ port: 0, apiKeys: [KEY], stepMs: options.stepMs ?? 5, mode: options.mode })

/**
 * A client that sends everything to `proxyUrl` through `fetchVia`, as a browser app would with `proxyUrl`.
 * @example clientThrough(upstream.url, 'http://app.example/api/genimage', (input, init) => handler(new Request(input, init)))
 */
export const clientThrough = (baseUrl: string, proxyUrl: string, fetchVia: typeof fetch): GenimageClient =>
  createClient({ baseUrl, proxyUrl, fetch: fetchVia, retry: false })

/**
 * Reads every header and the body of a response as one string, to look for leaked secrets.
 * @example expect(await everything(response)).not.toContain(KEY)
 */
export const everything = async (response: Response): Promise<string> => {
  const headers = [...response.headers].map(([name, value]) => `${name}: ${value}`).join('\n')
  return `${response.status}\n${headers}\n\n${await response.text()}`
}

/**
 * Reads a server-sent-event stream chunk by chunk, so a test can look at it before it ends.
 * @example const first = await eventReader(response).next()
 */
export const eventReader = (response: Response) => {
  const reader = response.body!.getReader()
  const decoder = new TextDecoder()
  let buffer = ''
  return {
    /** Resolves with the data of the next `status` event, parsed. */
    async next(): Promise<{ status: string; progress?: { step: number } }> {
      for (;;) {
        const end = buffer.indexOf('\n\n')
        if (end >= 0) {
          const block = buffer.slice(0, end)
          buffer = buffer.slice(end + 2)
          const data = block
            .split('\n')
            .filter((line) => line.startsWith('data:'))
            .map((line) => line.slice(5).trim())
            .join('\n')
          if (data) return JSON.parse(data)
          continue
        }
        const { done, value } = await reader.read()
        if (done) throw new Error('stream ended')
        buffer += decoder.decode(value, { stream: true })
      }
    },
    cancel: () => reader.cancel(),
  }
}

/** One call the browser made through the proxy, as {@link observed} records it. */
export interface ObservedCall {
  /** The genimage path it targeted (`/queue/requests/…/status/stream`). */
  path: string
  status: number
  contentType: string | null
}

/**
 * Wraps the browser's fetch to record each call's genimage path and the answer's status and content type, so a test
 * can tell a status stream from a fallback to polling.
 * @example const { fetch, calls } = observed(signedIn)
 */
export const observed = (fetchVia: typeof fetch): { fetch: typeof fetch; calls: ObservedCall[] } => {
  const calls: ObservedCall[] = []
  const recording = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined))
    const url = input instanceof Request ? input.url : String(input)
    const response = await fetchVia(input, init)
    const path = new URL(headers.get('x-genimage-target-url') ?? url).pathname
    calls.push({ path, status: response.status, contentType: response.headers.get('content-type') })
    return response
  }) as typeof fetch
  return { fetch: recording, calls }
}

/**
 * Splits recorded calls into status streams and status polls, to check that a subscription followed its job over the
 * stream (answered `text/event-stream`) and never fell back to polling.
 * @example const { streams, polls } = streamsAndPolls(calls); expect(polls).toEqual([])
 */
export const streamsAndPolls = (calls: readonly ObservedCall[]) => ({
  streams: calls.filter((call) => call.path.endsWith('/status/stream')),
  polls: calls.filter((call) => call.path.endsWith('/status')),
})

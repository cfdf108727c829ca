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

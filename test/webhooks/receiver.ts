import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'

/** One POST a {@link WebhookReceiver} received, with its raw body. */
export interface ReceivedWebhook {
  path: string
  headers: IncomingHttpHeaders
  body: string
  /** The status it was answered with. */
  status: number
}

/** A loopback HTTP server that records webhooks and answers each with the next scripted status (the last repeats). */
export interface WebhookReceiver {
  /** `http://127.0.0.1:<port>`. */
  url: string
  /** `127.0.0.1:<port>`, for `WEBHOOK_ALLOWED_HOSTS`. */
  host: string
  port: number
  received: ReceivedWebhook[]
  /** Resolves once `count` webhooks arrived at `path` (all of them when omitted). */
  waitFor(count: number, path?: string, timeoutMs?: number): Promise<ReceivedWebhook[]>
  close(): Promise<void>
}

/**
 * Starts a webhook receiver on 127.0.0.1; `statuses` scripts the answers per path (default 204 for all).
 * @example const receiver = await startReceiver({ '/flaky': [500, 500, 200] })
 */
export async function startReceiver(statuses: Record<string, number[]> = {}): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = []
  const counts = new Map<string, number>()
  let notify = (): void => {}
  const server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      const path = request.url ?? '/'
      const seen = counts.get(path) ?? 0
      counts.set(path, seen + 1)
      const script = statuses[path] ?? [204]
      const status = script[Math.min(seen, script.length - 1)]!
      received.push({ path, headers: request.headers, body: Buffer.concat(chunks).toString('utf8'), status })
      response.writeHead(status).end()
      notify()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    port,
    received,
    waitFor(count, path, timeoutMs = 20_000) {
      const matching = () => received.filter((hook) => path === undefined || hook.path === path)
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new Error(`timed out waiting for ${count} webhooks at ${path ?? 'any path'} (got ${matching().length})`),
            ),
          timeoutMs,
        )
        const check = (): void => {
          if (matching().length < count) return
          clearTimeout(timer)
          resolve(matching())
        }
        const previous = notify
        notify = () => {
          previous()
          check()
        }
        check()
      })
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

/** The headers of a received webhook as `verifyWebhook` takes them. */
export const asRaw = (hook: ReceivedWebhook) => ({ headers: hook.headers as Record<string, string>, body: hook.body })

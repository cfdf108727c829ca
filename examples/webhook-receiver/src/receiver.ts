import { createServer, type IncomingMessage, type Server } from 'node:http'
import { verifyWebhook, type WebhookPayload, WebhookVerificationError } from '@genimage/client'

/** Options of {@link createWebhookReceiver}. */
export interface WebhookReceiverOptions {
  /** The server's `WEBHOOK_SECRETS` (one, or old and new while rotating). */
  secrets: string | string[]
  /** Called once per verified webhook (duplicates, same `webhook-id`, are acknowledged and skipped). */
  onWebhook: (payload: WebhookPayload) => void | Promise<void>
  /** Largest body read. @default 8 MiB (a `sync_mode` result inlines its image) */
  maxBodyBytes?: number
}

/** Webhook ids remembered to drop retries of a delivery already handled. */
const REMEMBERED_IDS = 10_000

const readBody = async (request: IncomingMessage, maxBytes: number): Promise<Buffer | undefined> => {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > maxBytes) return undefined
    chunks.push(chunk)
  }
  return Buffer.concat(chunks)
}

/**
 * A Node HTTP server that accepts genimage webhooks: it verifies each one on its raw body (refused with 400 and the
 * reason when it does not verify), hands it to `onWebhook` once per `webhook-id`, and answers 204 (any 2xx stops the
 * server's retries).
 * @example createWebhookReceiver({ secrets: process.env.GENIMAGE_WEBHOOK_SECRET!, onWebhook: console.log }).listen(3000)
 */
export function createWebhookReceiver(options: WebhookReceiverOptions): Server {
  const seen = new Set<string>()
  return createServer(async (request, response) => {
    if (request.method !== 'POST') return response.writeHead(405, { allow: 'POST' }).end()
    const body = await readBody(request, options.maxBodyBytes ?? 8 * 1024 * 1024)
    if (!body) return response.writeHead(413).end()
    let payload: WebhookPayload
    try {
      payload = await verifyWebhook({ headers: request.headers, body }, options.secrets)
    } catch (error) {
      if (!(error instanceof WebhookVerificationError)) throw error
      return response.writeHead(400, { 'content-type': 'text/plain' }).end(error.reason)
    }
    const id = request.headers['webhook-id'] as string
    if (!seen.has(id)) {
      seen.add(id)
      if (seen.size > REMEMBERED_IDS) seen.delete(seen.values().next().value!)
      await options.onWebhook(payload)
    }
    response.writeHead(204).end()
  })
}

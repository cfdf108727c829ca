import { createFalClient, type RequestMiddleware } from '@fal-ai/client'
import { verifyWebhook } from '@genimage/client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type StartedServer, startServer } from '../contract/server-target.js'
import { asRaw, startReceiver, type WebhookReceiver } from '../webhooks/receiver.js'

const SECRET = 'whsec_ZmFsLWNsaWVudC13ZWJob29rLXNlY3JldC0xMjM='

/** fal's queue URL to genimage's, the query (where fal puts `fal_webhook`) kept. */
const toGenimage =
  (base: string): RequestMiddleware =>
  async (request) => {
    const url = new URL(request.url)
    if (url.hostname !== 'queue.fal.run') return request
    const [, tail] = /\/requests\/(.+)$/.exec(url.pathname) ?? []
    return { ...request, url: `${base}${tail ? `/queue/requests/${tail}` : '/queue/generate'}${url.search}` }
  }

let server: StartedServer
let receiver: WebhookReceiver
const fetched: string[] = []

beforeAll(async () => {
  receiver = await startReceiver()
  server = await startServer({
    backend: 'synthetic',
    env: { WEBHOOK_SECRETS: SECRET, WEBHOOK_ALLOWED_HOSTS: receiver.host },
  })
})
afterAll(async () => {
  await server?.close()
  await receiver?.close()
})

describe("@fal-ai/client's webhookUrl against the genimage server", () => {
  it('fal.queue.submit with webhookUrl sends ?fal_webhook=, and the server delivers a verifiable webhook there', async () => {
    const fal = createFalClient({
      credentials: 'unused',
      requestMiddleware: toGenimage(server.url),
      fetch: (input, init) => {
        fetched.push(String(input))
        return globalThis.fetch(input, init)
      },
    })
    const webhookUrl = `${receiver.url}/fal`
    const { request_id } = await fal.queue.submit('genimage/sdxl-turbo', {
      input: { prompt: 'a kite', width: 256, height: 256 },
      webhookUrl,
    })
    expect(new URL(fetched[0]!).searchParams.get('fal_webhook')).toBe(webhookUrl)
    const [hook] = await receiver.waitFor(1, '/fal')
    expect(await verifyWebhook(asRaw(hook!), SECRET)).toMatchObject({ request_id, status: 'OK', error: null })
  })
})

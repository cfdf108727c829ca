import { describe, expect, it } from 'vitest'
import { createApp } from '../app/create-app.js'
import { MemoryJobQueue } from '../queue/memory/memory-job-queue.js'
import { MemoryImageStore } from '../store/memory-store.js'
import { createSyntheticBackend } from '../synthetic/synthetic-backend.js'
import { MemoryWebhookDispatcher } from './memory-dispatcher.js'
import { createWebhookNotifier } from './notifier.js'
import type { WebhookDelivery } from './port.js'

/** The app over the embedded queue, its webhooks handed to a recorder instead of the network. */
const build = () => {
  const store = new MemoryImageStore()
  const sent: WebhookDelivery[] = []
  let arrived: () => void = () => {}
  const dispatcher = new MemoryWebhookDispatcher({
    send: async (delivery) => {
      sent.push(delivery)
      arrived()
      return { ok: true, status: 204 }
    },
  })
  const notify = createWebhookNotifier({ store, dispatcher })
  const queue = new MemoryJobQueue({ backend: createSyntheticBackend(), store, onJobFinished: (r) => void notify(r) })
  const app = createApp({ queue, store, webhooks: {} })
  const delivered = (count: number) =>
    new Promise<WebhookDelivery[]>((resolve) => {
      arrived = () => sent.length >= count && resolve(sent)
      arrived()
    })
  return { app, delivered }
}

const post = (body: unknown, headers: Record<string, string> = {}) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
})

describe('webhook_url on the queue routes', () => {
  it('delivers the result with image URLs under the base URL the request was submitted to', async () => {
    const { app, delivered } = build()
    const submitted = await app.request(
      'http://localhost/queue/generate?fal_webhook=https%3A%2F%2Fhooks.example.com%2Fg',
      post({ prompt: 'a fox', width: 256, height: 256 }),
    )
    const { request_id } = (await submitted.json()) as { request_id: string }
    const [delivery] = await delivered(1)
    expect(delivery).toMatchObject({ id: request_id, url: 'https://hooks.example.com/g' })
    const payload = JSON.parse(delivery!.body)
    expect(payload).toMatchObject({ request_id, status: 'OK', error: null })
    expect(payload.payload.image.url).toMatch(/^http:\/\/localhost\/files\//)
    const result = await app.request(`http://localhost/queue/requests/${request_id}`)
    expect(payload.payload).toEqual(await result.json())
  })

  it('counts the webhook URL in the Idempotency-Key fingerprint, from the body or the query', async () => {
    const { app } = build()
    const body = { prompt: 'same body', width: 256, height: 256 }
    const key = { 'idempotency-key': 'order-1' }
    const first = await app.request('/queue/generate', post({ ...body, webhook_url: 'https://a.example/h' }, key))
    const { request_id } = (await first.json()) as { request_id: string }
    const viaQuery = await app.request('/queue/generate?fal_webhook=https%3A%2F%2Fa.example%2Fh', post(body, key))
    expect(((await viaQuery.json()) as { request_id: string }).request_id).toBe(request_id)
    const other = await app.request('/queue/generate', post({ ...body, webhook_url: 'https://b.example/h' }, key))
    expect(other.status).toBe(409)
  })

  it('answers 422 for a webhook on POST /generate and for a body and query that differ', async () => {
    const { app } = build()
    const sync = await app.request('/generate', post({ prompt: 'a fox', webhook_url: 'https://a.example/h' }))
    expect(sync.status).toBe(422)
    const both = await app.request(
      '/queue/generate?fal_webhook=https%3A%2F%2Fb.example%2Fh',
      post({ prompt: 'a fox', webhook_url: 'https://a.example/h' }),
    )
    expect(both.status).toBe(422)
    expect(await both.json()).toMatchObject({ detail: [{ loc: ['query', 'fal_webhook'] }] })
  })
})

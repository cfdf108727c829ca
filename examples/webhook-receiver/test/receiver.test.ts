import type { AddressInfo } from 'node:net'
import { createClient, type WebhookPayload } from '@genimage/client'
import { MOCK_WEBHOOK_SECRET } from '@genimage/mocks'
import { setupGenimageServer } from '@genimage/mocks/node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createWebhookReceiver } from '../src/receiver.js'

// The mocked API delivers its webhooks with the real fetch to this receiver on loopback, signed with the mock secret.
const baseUrl = 'https://genimage.test'
const { server } = setupGenimageServer({ baseUrl, firstLookMs: 0 })
const received: WebhookPayload[] = []
let arrived: () => void = () => {}
const receiver = createWebhookReceiver({
  secrets: MOCK_WEBHOOK_SECRET,
  onWebhook: (payload) => {
    received.push(payload)
    arrived()
  },
})
let receiverUrl = ''

beforeAll(async () => {
  server.listen({
    onUnhandledFrame: ({ frame, defaults }) => {
      const { request } = frame.data as { request?: Request }
      if (!request || new URL(request.url).hostname !== '127.0.0.1') defaults.error()
    },
  })
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve))
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/genimage`
})
afterAll(async () => {
  server.close()
  await new Promise((resolve) => receiver.close(resolve))
})

describe('webhook receiver', () => {
  it('receives the verified result of a queued generation', async () => {
    const client = createClient({ baseUrl })
    const delivered = new Promise<void>((resolve) => {
      arrived = resolve
    })
    const { request_id } = await client.queue.submit(
      { prompt: 'a lighthouse', width: 256, height: 256 },
      { webhookUrl: receiverUrl },
    )
    await delivered
    expect(received).toHaveLength(1)
    expect(received[0]).toMatchObject({ request_id, status: 'OK', payload: { image: { width: 256, height: 256 } } })
  })

  it('refuses a webhook whose signature does not match, naming why', async () => {
    const response = await fetch(receiverUrl, {
      method: 'POST',
      headers: {
        'webhook-id': 'forged',
        'webhook-timestamp': String(Math.floor(Date.now() / 1000)),
        'webhook-signature': 'v1,bm90IGEgcmVhbCBzaWduYXR1cmUgYXQgYWxsIG5vcGUh',
      },
      body: JSON.stringify({ request_id: 'forged', status: 'OK', payload: {}, error: null }),
    })
    expect(response.status).toBe(400)
    expect(await response.text()).toBe('invalid_signature')
  })
})

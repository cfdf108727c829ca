import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { decodeWebhookSecret, signWebhook, webhookHeaders } from './signature.js'

/** The signature computed independently with Node's crypto, as a Standard Webhooks receiver does. */
const independent = (key: Buffer, id: string, timestamp: number, body: string): string =>
  `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`

describe('webhook signatures', () => {
  it('signs a whsec_ secret with its base64-decoded bytes, as Standard Webhooks does', async () => {
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
    const body = '{"test": 2432232314}'
    const signature = await signWebhook(secret, 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, body)
    // The example of the Standard Webhooks specification.
    expect(signature).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=')
    expect(signature).toBe(
      independent(
        Buffer.from('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'base64'),
        'msg_p5jXN8AQM9LWM0D4loKWxJek',
        1614265330,
        body,
      ),
    )
  })

  it('signs any other secret with its UTF-8 bytes', async () => {
    const body = JSON.stringify({ request_id: 'r', status: 'OK', note: 'café ✓' })
    expect(await signWebhook('plain secret é', 'r', 1700000000, body)).toBe(
      independent(Buffer.from('plain secret é', 'utf8'), 'r', 1700000000, body),
    )
  })

  it('sends one space-separated signature per secret, so old and new verify while rotating', async () => {
    const headers = await webhookHeaders({ id: 'req-1', url: 'https://example.com', body: '{}' }, ['old', 'new'], 42)
    expect(headers).toEqual({
      'content-type': 'application/json',
      'webhook-id': 'req-1',
      'webhook-timestamp': '42',
      'webhook-signature': `${independent(Buffer.from('old'), 'req-1', 42, '{}')} ${independent(Buffer.from('new'), 'req-1', 42, '{}')}`,
    })
  })

  it('refuses a whsec_ secret that is not base64', () => {
    expect(() => decodeWebhookSecret('whsec_not base64!')).toThrow(/base64/)
  })
})

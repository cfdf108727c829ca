import { describe, expect, it } from 'vitest'
import { WebhookVerificationError } from './errors/webhook-verification-error.js'
import { verifyWebhook } from './verify-webhook.js'

const NOW_S = 1_780_000_000
const now = () => NOW_S * 1000
const secret = 'whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0'
const payload = {
  request_id: 'req-1',
  status: 'ERROR',
  payload: { detail: 'Request was cancelled' },
  error: 'Request was cancelled',
}
const body = JSON.stringify(payload)

/** Signs as the server does (Web Crypto HMAC in the test itself, base64 with btoa). */
const sign = async (key: string, id: string, timestamp: number, text: string): Promise<string> => {
  const bytes = key.startsWith('whsec_')
    ? Uint8Array.from(atob(key.slice(6)), (char) => char.charCodeAt(0))
    : new TextEncoder().encode(key)
  const hmac = await crypto.subtle.importKey('raw', bytes, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
  const mac = new Uint8Array(
    await crypto.subtle.sign('HMAC', hmac, new TextEncoder().encode(`${id}.${timestamp}.${text}`)),
  )
  return `v1,${btoa(String.fromCharCode(...mac))}`
}

const webhook = async (
  overrides: { id?: string; timestamp?: number; signature?: string; body?: string; keys?: string[] } = {},
) => {
  const { id = 'req-1', timestamp = NOW_S, body: text = body, keys = [secret] } = overrides
  const signature =
    overrides.signature ?? (await Promise.all(keys.map((key) => sign(key, id, timestamp, text)))).join(' ')
  return new Request('https://receiver.example/hook', {
    method: 'POST',
    headers: { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signature },
    body: text,
  })
}

const reasonOf = async (promise: Promise<unknown>) => {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  )
  expect(error).toBeInstanceOf(WebhookVerificationError)
  return (error as WebhookVerificationError).reason
}

describe('verifyWebhook', () => {
  it('verifies the example of the Standard Webhooks specification', async () => {
    const headers = {
      'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek',
      'webhook-timestamp': '1614265330',
      'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    }
    const spec = { headers, body: '{"test": 2432232314}' }
    // Its body is not a genimage payload: the signature matched, the shape did not.
    const reason = await reasonOf(
      verifyWebhook(spec, 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', { now: () => 1614265330_000 }),
    )
    expect(reason).toBe('invalid_payload')
    const wrong = verifyWebhook(spec, 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSx', { now: () => 1614265330_000 })
    expect(await reasonOf(wrong)).toBe('invalid_signature')
  })

  it('returns the payload of a Request signed with a whsec_ secret', async () => {
    await expect(verifyWebhook(await webhook(), secret, { now })).resolves.toEqual(payload)
  })

  it('takes headers and a raw body as a string or bytes, with a raw-string secret', async () => {
    const headers = {
      'webhook-id': 'req-1',
      'webhook-timestamp': String(NOW_S),
      'webhook-signature': await sign('raw secret value', 'req-1', NOW_S, body),
    }
    await expect(verifyWebhook({ headers, body }, 'raw secret value', { now })).resolves.toEqual(payload)
    const bytes = new TextEncoder().encode(body)
    await expect(
      verifyWebhook({ headers: new Headers(headers), body: bytes }, 'raw secret value', { now }),
    ).resolves.toEqual(payload)
  })

  it('refuses a tampered body, id or timestamp', async () => {
    const signature = await sign(secret, 'req-1', NOW_S, body)
    expect(
      await reasonOf(verifyWebhook(await webhook({ signature, body: body.replace('ERROR', 'OK') }), secret, { now })),
    ).toBe('invalid_signature')
    expect(await reasonOf(verifyWebhook(await webhook({ signature, id: 'req-2' }), secret, { now }))).toBe(
      'invalid_signature',
    )
    expect(await reasonOf(verifyWebhook(await webhook({ signature, timestamp: NOW_S - 1 }), secret, { now }))).toBe(
      'invalid_signature',
    )
  })

  it('refuses a wrong secret and a signature of another scheme', async () => {
    expect(await reasonOf(verifyWebhook(await webhook(), 'whsec_b3RoZXItc2VjcmV0LW90aGVyLXNlY3JldA==', { now }))).toBe(
      'invalid_signature',
    )
    const v2 = (await sign(secret, 'req-1', NOW_S, body)).replace('v1,', 'v2,')
    expect(await reasonOf(verifyWebhook(await webhook({ signature: v2 }), secret, { now }))).toBe('invalid_signature')
  })

  it('refuses a timestamp further than the tolerance, in the past or the future', async () => {
    expect(await reasonOf(verifyWebhook(await webhook({ timestamp: NOW_S - 301 }), secret, { now }))).toBe('expired')
    expect(await reasonOf(verifyWebhook(await webhook({ timestamp: NOW_S + 301 }), secret, { now }))).toBe('expired')
    await expect(verifyWebhook(await webhook({ timestamp: NOW_S - 300 }), secret, { now })).resolves.toEqual(payload)
    await expect(
      verifyWebhook(await webhook({ timestamp: NOW_S - 3600 }), secret, { now, toleranceS: 7200 }),
    ).resolves.toEqual(payload)
  })

  it('verifies across a secret rotation: old and new signatures, old and new secrets', async () => {
    const next = 'whsec_bmV3LXNlY3JldC1uZXctc2VjcmV0LW5ldy1zZWNyZXQ='
    // The server signs with both while rotating: a receiver that knows either verifies.
    await expect(verifyWebhook(await webhook({ keys: [secret, next] }), next, { now })).resolves.toEqual(payload)
    await expect(verifyWebhook(await webhook({ keys: [secret, next] }), secret, { now })).resolves.toEqual(payload)
    // A receiver that knows both verifies a server that signs with either.
    await expect(verifyWebhook(await webhook({ keys: [secret] }), [next, secret], { now })).resolves.toEqual(payload)
    await expect(verifyWebhook(await webhook({ keys: [next] }), [next, secret], { now })).resolves.toEqual(payload)
  })

  it('names missing headers, a bad timestamp, a bad body and a bad secret', async () => {
    const bare = new Request('https://receiver.example/hook', { method: 'POST', body })
    expect(await reasonOf(verifyWebhook(bare, secret, { now }))).toBe('missing_header')
    const headers = { 'webhook-id': 'x', 'webhook-timestamp': '12e5', 'webhook-signature': 'v1,AAAA' }
    expect(await reasonOf(verifyWebhook({ headers, body }, secret, { now }))).toBe('invalid_timestamp')
    expect(await reasonOf(verifyWebhook(await webhook({ body: 'not json' }), secret, { now }))).toBe('invalid_payload')
    expect(await reasonOf(verifyWebhook(await webhook({ body: '{"hello":1}' }), secret, { now }))).toBe(
      'invalid_payload',
    )
    expect(await reasonOf(verifyWebhook(await webhook(), 'whsec_***', { now }))).toBe('invalid_secret')
    expect(await reasonOf(verifyWebhook(await webhook(), [], { now }))).toBe('invalid_secret')
  })
})

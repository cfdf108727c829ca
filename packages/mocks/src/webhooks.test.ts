import { createHmac } from 'node:crypto'
import { HttpResponse, http } from 'msw'
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createGenimageMock, MOCK_WEBHOOK_SECRET } from './mock.js'

const baseUrl = 'https://api.genimage.test'
const hookUrl = 'https://receiver.test/genimage'
const genimage = createGenimageMock({ baseUrl, firstLookMs: 0, webhookRetry: { firstDelayMs: 5 } })
const server = setupServer(...genimage.handlers)

// msw 3 reads onUnhandledFrame, msw 2 (the Node 20 leg) onUnhandledRequest; each ignores the other's name.
const strict = { onUnhandledFrame: 'error', onUnhandledRequest: 'error' } as const
beforeAll(() => server.listen(strict))
afterEach(() => {
  server.resetHandlers()
  genimage.reset()
})
afterAll(() => server.close())

/** Records the webhooks MSW intercepts at `hookUrl`, answering each with the next of `statuses` (the last repeats). */
const receive = (statuses: number[] = [204]) => {
  const received: { headers: Headers; body: string }[] = []
  let arrived: () => void = () => {}
  server.use(
    http.post(hookUrl, async ({ request }) => {
      received.push({ headers: request.headers, body: await request.text() })
      arrived()
      return new HttpResponse(null, { status: statuses[Math.min(received.length, statuses.length) - 1] })
    }),
  )
  const waitFor = (count: number) =>
    new Promise<typeof received>((resolve) => {
      arrived = () => received.length >= count && resolve(received)
      arrived()
    })
  return { waitFor }
}

const expectedSignature = (secret: string, headers: Headers, body: string) => {
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64')
  const signed = `${headers.get('webhook-id')}.${headers.get('webhook-timestamp')}.${body}`
  return `v1,${createHmac('sha256', key).update(signed).digest('base64')}`
}

const submit = (body: unknown) =>
  fetch(`${baseUrl}/queue/generate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })

describe('mock webhooks', () => {
  it('POSTs the signed result of a queued request with webhook_url to the handler of that URL', async () => {
    const hooks = receive()
    const response = await submit({ prompt: 'a fox', width: 256, height: 256, webhook_url: hookUrl })
    const { request_id } = (await response.json()) as { request_id: string }
    const [hook] = await hooks.waitFor(1)
    expect(hook!.headers.get('webhook-id')).toBe(request_id)
    expect(hook!.headers.get('webhook-signature')).toBe(
      expectedSignature(MOCK_WEBHOOK_SECRET, hook!.headers, hook!.body),
    )
    const result = await (await fetch(`${baseUrl}/queue/requests/${request_id}`)).json()
    expect(JSON.parse(hook!.body)).toEqual({ request_id, status: 'OK', payload: result, error: null })
  })

  it('retries a handler that fails, with the same webhook-id', async () => {
    const hooks = receive([500, 200])
    await submit({ prompt: 'a fox', width: 256, height: 256, webhook_url: hookUrl })
    const received = await hooks.waitFor(2)
    expect(received[0]!.headers.get('webhook-id')).toBe(received[1]!.headers.get('webhook-id'))
  })

  it('signs with the webhookSecret option', async () => {
    const secret = 'whsec_b3duLW1vY2stc2VjcmV0LW93bi1tb2NrLXNlY3JldA=='
    const own = createGenimageMock({ baseUrl: 'https://own.genimage.test', firstLookMs: 0, webhookSecret: secret })
    server.use(...own.handlers)
    const hooks = receive()
    await fetch('https://own.genimage.test/queue/generate', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'a fox', width: 256, height: 256, webhook_url: hookUrl }),
    })
    const [hook] = await hooks.waitFor(1)
    expect(hook!.headers.get('webhook-signature')).toBe(expectedSignature(secret, hook!.headers, hook!.body))
  })
})

import { verifyWebhook, type WebhookPayload } from '@genimage/client'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { type StartedServer, startServer } from '../contract/server-target.js'
import { asRaw, startReceiver, type WebhookReceiver } from '../webhooks/receiver.js'
import { eventually, memoryLogger, metric } from './processes.js'

const SECRET = 'whsec_d2ViaG9vay10ZXN0LXNlY3JldC0xMjM0NTY3OA=='

let receiver: WebhookReceiver
let started: StartedServer | undefined

beforeAll(async () => {
  receiver = await startReceiver({ '/flaky': [500, 500, 200], '/at-shutdown': [500, 200], '/dropped': [500] })
})
afterEach(async () => {
  await started?.close()
  started = undefined
})
afterAll(() => receiver.close())

const start = (env: Record<string, string> = {}, override: Parameters<typeof startServer>[0]['override'] = {}) =>
  startServer({
    backend: 'synthetic',
    env: { WEBHOOK_SECRETS: SECRET, WEBHOOK_ALLOWED_HOSTS: receiver.host, ...env },
    override: { webhookFirstRetryMs: 20, ...override },
  })

const submit = (url: string, body: Record<string, unknown>, query = '') =>
  fetch(`${url}/queue/generate${query}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ width: 256, height: 256, num_inference_steps: 1, ...body }),
  })

const accepted = async (response: Response): Promise<string> => {
  expect(response.status).toBe(202)
  return ((await response.json()) as { request_id: string }).request_id
}

describe('webhooks (server, embedded queue, synthetic backend)', () => {
  it('POSTs a verifiable payload equal to the result when a job succeeds', async () => {
    started = await start()
    const id = await accepted(await submit(started.url, { prompt: 'a fox', webhook_url: `${receiver.url}/ok` }))
    const [hook] = await receiver.waitFor(1, '/ok')
    expect(hook!.headers['content-type']).toBe('application/json')
    expect(hook!.headers['webhook-id']).toBe(id)
    const payload = await verifyWebhook(asRaw(hook!), SECRET)
    const result = await (await fetch(`${started.url}/queue/requests/${id}`)).json()
    expect(payload).toEqual({ request_id: id, status: 'OK', payload: result, error: null })
  })

  it('takes ?fal_webhook= as fal’s client sends it, and POSTs the error body of a failed job', async () => {
    started = await start({ SYNTHETIC_STEP_MS: '1000' }, { jobTimeoutMs: 150 })
    const target = `${receiver.url}/failed`
    const id = await accepted(
      await submit(started.url, { prompt: 'too slow' }, `?fal_webhook=${encodeURIComponent(target)}`),
    )
    const [hook] = await receiver.waitFor(1, '/failed')
    const payload: WebhookPayload = await verifyWebhook(asRaw(hook!), SECRET)
    const result = await fetch(`${started.url}/queue/requests/${id}`)
    expect(result.status).toBe(504)
    const body = (await result.json()) as { detail: string }
    expect(payload).toEqual({ request_id: id, status: 'ERROR', payload: body, error: body.detail })
  })

  it('POSTs the cancellation of a cancelled job', async () => {
    started = await start({ SYNTHETIC_STEP_MS: '2000' })
    const id = await accepted(
      await submit(started.url, {
        prompt: 'never mind',
        num_inference_steps: 4,
        webhook_url: `${receiver.url}/cancelled`,
      }),
    )
    expect((await fetch(`${started.url}/queue/requests/${id}/cancel`, { method: 'PUT' })).status).toBe(202)
    const [hook] = await receiver.waitFor(1, '/cancelled')
    const payload = await verifyWebhook(asRaw(hook!), SECRET)
    expect(payload).toMatchObject({
      request_id: id,
      status: 'ERROR',
      payload: { detail: expect.stringMatching(/cancel/i) },
    })
  })

  it('retries a receiver that answers 500 twice: 3 attempts with the same webhook-id, counted in /metrics', async () => {
    started = await start()
    const id = await accepted(
      await submit(started.url, { prompt: 'flaky receiver', webhook_url: `${receiver.url}/flaky` }),
    )
    const hooks = await receiver.waitFor(3, '/flaky')
    expect(hooks.map((hook) => hook.status)).toEqual([500, 500, 200])
    expect(new Set(hooks.map((hook) => hook.headers['webhook-id']))).toEqual(new Set([id]))
    for (const hook of hooks)
      await expect(verifyWebhook(asRaw(hook), SECRET)).resolves.toMatchObject({ request_id: id })
    await eventually(
      async () =>
        (await metric(started!.url, 'genimage_webhooks_total{result="delivered"}')) === 1 ? true : undefined,
      'the delivered counter',
    )
    expect(await metric(started.url, 'genimage_webhooks_total{result="failed"}')).toBe(2)
  })

  it('at shutdown, gives a pending delivery one last attempt, then drops it with a log line', async () => {
    const log = memoryLogger()
    started = await startServer({
      backend: 'synthetic',
      env: { WEBHOOK_SECRETS: SECRET, WEBHOOK_ALLOWED_HOSTS: receiver.host },
      override: { webhookFirstRetryMs: 600_000 },
      logger: log.logger,
    })
    const delivered = await accepted(
      await submit(started.url, { prompt: 'retried at shutdown', webhook_url: `${receiver.url}/at-shutdown` }),
    )
    const dropped = await accepted(
      await submit(started.url, { prompt: 'dropped at shutdown', webhook_url: `${receiver.url}/dropped` }),
    )
    // Both first attempts failed and wait for a retry 5 to 10 minutes away.
    await eventually(
      async () => ((await metric(started!.url, 'genimage_webhooks_total{result="failed"}')) === 2 ? true : undefined),
      'two failed attempts',
    )
    await started.close()
    started = undefined
    expect(
      receiver.received
        .filter((hook) => hook.path === '/at-shutdown')
        .map((hook) => [hook.status, hook.headers['webhook-id']]),
    ).toEqual([
      [500, delivered],
      [200, delivered],
    ])
    const droppedHooks = receiver.received.filter((hook) => hook.path === '/dropped')
    expect(droppedHooks.map((hook) => [hook.status, hook.headers['webhook-id']])).toEqual([
      [500, dropped],
      [500, dropped],
    ])
    expect(log.messages()).toContain('webhook dropped at shutdown after 2 attempts: HTTP 500')
    expect(log.messages().join('\n')).not.toContain(SECRET.slice(6))
  })

  it('refuses private, loopback and link-local targets that are not allowlisted, with 422', async () => {
    started = await start()
    for (const target of [
      'http://10.0.0.7/hook',
      'http://169.254.169.254/latest/meta-data',
      'http://[::ffff:127.0.0.1]:9/hook',
      `http://localhost:${receiver.port}/ok`, // a name that resolves to 127.0.0.1: only 127.0.0.1:<port> is allowlisted
    ]) {
      const response = await submit(started.url, { prompt: 'ssrf', webhook_url: target })
      expect(response.status, target).toBe(422)
      const { detail } = (await response.json()) as { detail: { loc: string[]; msg: string }[] }
      expect(detail[0]).toMatchObject({
        loc: ['body', 'webhook_url'],
        msg: expect.stringMatching(/WEBHOOK_ALLOWED_HOSTS/),
      })
    }
  })

  it('refuses a webhook_url on POST /generate, and any webhook when WEBHOOK_SECRETS is unset', async () => {
    started = await start()
    const sync = await fetch(`${started.url}/generate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'a fox', webhook_url: `${receiver.url}/ok` }),
    })
    expect(sync.status).toBe(422)
    expect(await sync.json()).toMatchObject({ detail: [{ loc: ['body', 'webhook_url'] }] })
    await started.close()
    started = await start({ WEBHOOK_SECRETS: '' })
    const response = await submit(started.url, { prompt: 'a fox', webhook_url: `${receiver.url}/ok` })
    expect(response.status).toBe(422)
    expect(await response.json()).toEqual({
      detail: [
        { loc: ['body', 'webhook_url'], msg: 'webhooks are not configured on this server', type: 'value_error' },
      ],
    })
  })
})

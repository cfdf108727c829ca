import { verifyWebhook } from '@genimage/client'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { type StartedServer, startServer } from '../contract/server-target.js'
import { eventually, metric } from '../server/processes.js'
import { asRaw, startReceiver, type WebhookReceiver } from '../webhooks/receiver.js'
import { type RunningRedis, startRedis } from './redis-server.js'

const SECRET = 'whsec_cmVkaXMtd2ViaG9vay1zZWNyZXQtMTIzNDU2Nzg='

let redis: RunningRedis
let receiver: WebhookReceiver
const servers: StartedServer[] = []

beforeAll(async () => {
  redis = await startRedis({ appendOnly: true })
  receiver = await startReceiver({ '/after-restart': [503, 200], '/gone': [410] })
})
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()))
})
afterAll(async () => {
  await receiver?.close()
  await redis?.stop()
})

/** ROLE=all on the shared Redis, in this process. */
const start = async (env: Record<string, string> = {}, firstRetryMs = 20): Promise<StartedServer> => {
  const server = await startServer({
    backend: 'synthetic',
    env: { REDIS_URL: redis.url, WEBHOOK_SECRETS: SECRET, WEBHOOK_ALLOWED_HOSTS: receiver.host, ...env },
    override: { webhookFirstRetryMs: firstRetryMs },
  })
  servers.push(server)
  return server
}

const submit = async (url: string, prompt: string, path: string, steps = 1): Promise<string> => {
  const response = await fetch(`${url}/queue/generate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      prompt,
      width: 256,
      height: 256,
      num_inference_steps: steps,
      webhook_url: `${receiver.url}${path}`,
    }),
  })
  expect(response.status).toBe(202)
  return ((await response.json()) as { request_id: string }).request_id
}

describe('webhooks on the Redis queue (real redis-server)', () => {
  it('delivers the result of a job run by the worker, and the cancel of a job that was still waiting', async () => {
    const server = await start({ SYNTHETIC_STEP_MS: '300' })
    const running = await submit(server.url, 'runs first', '/redis-ok', 2)
    const waiting = await submit(server.url, 'cancelled while queued', '/redis-cancelled')
    expect((await fetch(`${server.url}/queue/requests/${waiting}/cancel`, { method: 'PUT' })).status).toBe(202)
    const [cancelled] = await receiver.waitFor(1, '/redis-cancelled')
    expect(await verifyWebhook(asRaw(cancelled!), SECRET)).toMatchObject({ request_id: waiting, status: 'ERROR' })
    const [done] = await receiver.waitFor(1, '/redis-ok')
    const result = await (await fetch(`${server.url}/queue/requests/${running}`)).json()
    expect(await verifyWebhook(asRaw(done!), SECRET)).toEqual({
      request_id: running,
      status: 'OK',
      payload: result,
      error: null,
    })
  })

  it('gives a delivery up after WEBHOOK_MAX_ATTEMPTS, counted in /metrics', async () => {
    const server = await start({ WEBHOOK_MAX_ATTEMPTS: '2' })
    const id = await submit(server.url, 'nobody listens', '/gone')
    const hooks = await receiver.waitFor(2, '/gone')
    expect(hooks.map((hook) => hook.headers['webhook-id'])).toEqual([id, id])
    const givenUp = () => metric(server.url, 'genimage_webhooks_total{result="given_up"}')
    await eventually(async () => ((await givenUp()) === 1 ? true : undefined), 'the give-up')
    expect(await metric(server.url, 'genimage_webhooks_total{result="failed"}')).toBe(1)
    expect(receiver.received.filter((hook) => hook.path === '/gone')).toHaveLength(2)
  })

  it('a delivery waiting for its retry when the process stops is delivered by the next process', async () => {
    const first = await start({}, 1500)
    const id = await submit(first.url, 'outlives its process', '/after-restart')
    const [refused] = await receiver.waitFor(1, '/after-restart')
    expect(refused!.status).toBe(503)
    // Its retry waits in Redis (<prefix>:webhooks); no process is left to deliver it.
    await servers.splice(0)[0]!.close()
    await start({}, 1500)
    const hooks = await receiver.waitFor(2, '/after-restart')
    expect(hooks.map((hook) => [hook.status, hook.headers['webhook-id']])).toEqual([
      [503, id],
      [200, id],
    ])
    await expect(verifyWebhook(asRaw(hooks[1]!), SECRET)).resolves.toMatchObject({ request_id: id, status: 'OK' })
  })
})

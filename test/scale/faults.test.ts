import { afterEach, describe, expect, it } from 'vitest'
import { eventually, metric } from '../server/processes.js'
import { startTopology, type Topology } from './topology.js'

let topology: Topology | undefined
afterEach(async () => {
  await topology?.close()
  topology = undefined
})

type Status = { status: string; outcome?: string; request_id: string; logs?: { message: string }[] }

const submit = async (url: string, prompt: string, steps = 4): Promise<string> => {
  const response = await fetch(`${url}/queue/generate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ prompt, num_inference_steps: steps, width: 256, height: 256 }),
  })
  expect(response.status).toBe(202)
  return ((await response.json()) as { request_id: string }).request_id
}

const status = async (url: string, id: string): Promise<Status> =>
  (await (await fetch(`${url}/queue/requests/${id}/status?logs=1`)).json()) as Status

const completed = (url: string, id: string, timeoutMs = 30_000): Promise<Status> =>
  eventually(
    async () => {
      const current = await status(url, id)
      return current.status === 'COMPLETED' ? current : undefined
    },
    `request ${id} to complete`,
    timeoutMs,
  )

/** The worker running a job now, by its `/ready` report. */
const busyWorker = (top: Topology) =>
  eventually(async () => {
    for (const worker of top.workers) {
      const ready = (await (await fetch(`${worker.url}/ready`)).json()) as { running: number }
      if (ready.running > 0) return worker
    }
    return undefined
  }, 'a worker to start the job')

describe('scale-out faults (built server, real Redis)', () => {
  it('SIGKILL of the API node that accepted jobs: every job completes and is read through the other node', async () => {
    topology = await startTopology({ apiNodes: 2, workers: 2, workerEnv: { SYNTHETIC_STEP_MS: '100' } })
    await topology.ready()
    const [accepting, other] = topology.apis as [Topology['apis'][0], Topology['apis'][0]]
    const ids: string[] = []
    for (let index = 0; index < 6; index += 1) ids.push(await submit(accepting.url, `survives its API node ${index}`))
    await accepting.kill()
    for (const id of ids) {
      expect(await completed(other.url, id)).toMatchObject({ request_id: id, outcome: 'succeeded' })
      const result = await fetch(`${other.url}/queue/requests/${id}`)
      expect(result.status).toBe(200)
      const { image } = (await result.json()) as { image: { url: string } }
      // The image is in the shared FILES_DIR, served by the node that is left.
      const file = await fetch(`${other.url}${new URL(image.url).pathname}`)
      expect(file.headers.get('content-type')).toBe('image/png')
    }
  })

  it('SIGKILL of a worker mid-job: the job runs again on the other worker, same id, and completes once', async () => {
    topology = await startTopology({ apiNodes: 1, workers: 2, workerEnv: { SYNTHETIC_STEP_MS: '400' } })
    await topology.ready()
    const api = topology.apis[0]!
    const id = await submit(api.url, 'outlives its worker')
    const victim = await busyWorker(topology)
    await victim.kill()
    const done = await completed(api.url, id)
    expect(done).toMatchObject({ request_id: id, outcome: 'succeeded' })
    expect(done.logs?.map((line) => line.message).join('\n')).toMatch(/Running again on worker .* \(attempt 2\)/)
    const survivor = topology.workers.find((worker) => worker !== victim)!
    expect(await metric(survivor.url, 'genimage_jobs_total{outcome="succeeded"}')).toBe(1)
    expect(await metric(api.url, 'genimage_jobs_total{outcome="succeeded"}')).toBe(1)
  })

  it("a worker's SIGTERM finishes its running job, takes no new one, and exits 0", async () => {
    topology = await startTopology({ apiNodes: 1, workers: 2, workerEnv: { SYNTHETIC_STEP_MS: '300' } })
    await topology.ready()
    const api = topology.apis[0]!
    const first = await submit(api.url, 'finished during the drain')
    const draining = await busyWorker(topology)
    const exited = draining.terminate()
    // More jobs than the other worker can take at once: a worker that still took jobs would get one of them.
    const later: string[] = []
    for (let index = 0; index < 3; index += 1) later.push(await submit(api.url, `for the other worker ${index}`))
    expect(await completed(api.url, first)).toMatchObject({ outcome: 'succeeded' })
    expect(await exited).toBe(0)
    for (const id of later) expect(await completed(api.url, id)).toMatchObject({ outcome: 'succeeded' })
    const log = draining.process.output()
    expect(log).toContain(first)
    for (const id of later) expect(log).not.toContain(id)
  })

  it('Redis killed and restarted with its AOF: queued jobs survive and run once a worker comes', async () => {
    topology = await startTopology({ apiNodes: 1, workers: 0, appendOnly: true })
    const api = topology.apis[0]!
    // No worker yet (so /ready stays 503): wait until the API node has connected to Redis.
    await eventually(
      async () => ((await fetch(`${api.url}/queue/requests/none/status`)).status === 404 ? true : undefined),
      'the queue to answer (404, not 503)',
    )
    const ids: string[] = []
    for (let index = 0; index < 5; index += 1) ids.push(await submit(api.url, `kept in the AOF ${index}`))
    await topology.redis.kill()
    await topology.redis.restart()
    await topology.add('worker', { SYNTHETIC_STEP_MS: '0' })
    for (const id of ids) expect(await completed(api.url, id)).toMatchObject({ outcome: 'succeeded' })
  })

  it('Redis down: 503 with Retry-After on the API, no crash, and service again once Redis is back', async () => {
    topology = await startTopology({ apiNodes: 1, workers: 1, appendOnly: true })
    await topology.ready()
    const api = topology.apis[0]!
    const id = await submit(api.url, 'before the outage', 1)
    await completed(api.url, id)
    await topology.redis.kill()
    const refused = await eventually(async () => {
      const response = await fetch(`${api.url}/queue/generate`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ prompt: 'during the outage' }),
      })
      return response.status === 503 ? response : undefined
    }, 'a 503 while Redis is down')
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
    expect(((await refused.json()) as { detail: string }).detail).toMatch(/queue unavailable/i)
    const statusDown = await fetch(`${api.url}/queue/requests/${id}/status`)
    expect(statusDown.status).toBe(503)
    expect((await fetch(`${api.url}/ready`)).status).toBe(503)
    expect((await fetch(`${api.url}/health`)).status).toBe(200)
    await topology.redis.restart()
    const after = await eventually(async () => {
      const response = await fetch(`${api.url}/queue/generate`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ prompt: 'after the outage', num_inference_steps: 1 }),
      })
      return response.status === 202 ? ((await response.json()) as { request_id: string }) : undefined
    }, 'the API to accept jobs again')
    expect(await completed(api.url, after.request_id)).toMatchObject({ outcome: 'succeeded' })
    expect(await completed(api.url, id)).toMatchObject({ outcome: 'succeeded' })
    expect(api.process.child.exitCode).toBeNull()
  })
})

import {
  type Backend,
  createSyntheticBackend,
  type JobRecord,
  MemoryImageStore,
  QueueError,
  resolveGenerateRequest,
} from '@genimage/core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { RedisJobQueue, RedisQueueWorker } from '../../packages/server/src/queue/redis/index.js'
import { type RunningRedis, startRedis } from './redis-server.js'

/** Two API nodes and two workers on one Redis, in this process: what the role tests run as separate processes. */
let redis: RunningRedis
let namespace = 0
const open: { close(): Promise<void> }[] = []

beforeAll(async () => {
  redis = await startRedis()
})
afterEach(async () => {
  await Promise.all(open.splice(0).map((item) => item.close()))
})
afterAll(async () => {
  await redis?.stop()
})

const input = (prompt: string, steps = 2) =>
  resolveGenerateRequest({ prompt, width: 256, height: 256, num_inference_steps: steps, seed: 1 })

/** A fresh queue name per test, so tests never see each other's jobs. */
const topology = async (options: { stepMs?: number; maxQueueSize?: number; workers?: number } = {}) => {
  namespace += 1
  const location = { url: redis.url, name: `t${namespace}` }
  const store = new MemoryImageStore()
  const api = [0, 1].map(() => new RedisJobQueue({ ...location, maxQueueSize: options.maxQueueSize }))
  const workers: RedisQueueWorker[] = []
  const backends: Backend[] = []
  for (let index = 0; index < (options.workers ?? 2); index += 1) {
    const backend = createSyntheticBackend({ stepMs: options.stepMs ?? 0, overheadMs: 0 })
    const worker = new RedisQueueWorker({ ...location, backend, store, lockMs: 2000 })
    await worker.start()
    worker.run()
    workers.push(worker)
    backends.push(backend)
  }
  for (const node of api) await node.ready()
  open.push(...api, ...workers.map((worker) => ({ close: () => worker.close() })))
  return { api, workers, store }
}

const statesOf = (records: JobRecord[]) => records.map((record) => record.state)

describe('RedisJobQueue across API nodes and workers', () => {
  it('runs a job accepted by one API node and reports it, with progress, on the other', async () => {
    const { api, store } = await topology({ stepMs: 30 })
    const job = await api[0]!.submit({ input: input('fox', 3), owner: 'o1', fingerprint: 'f' })
    expect(job).toMatchObject({ state: 'IN_QUEUE', owner: 'o1' })
    const seen: JobRecord[] = []
    const done = new Promise<JobRecord>((resolve) => {
      void api[1]!.watch(job.id, 'o1', (record) => {
        seen.push(record)
        if (record.state === 'COMPLETED') resolve(record)
      })
    })
    const final = await done
    expect(final).toMatchObject({ id: job.id, outcome: 'succeeded', progress: { step: 3, total_steps: 3 } })
    expect(seen.some((record) => record.state === 'IN_PROGRESS' && record.progress.step >= 1)).toBe(true)
    expect(await store.get(final.images![0]!.key)).toBeDefined()
    expect(await api[0]!.get(job.id, 'o1')).toMatchObject({ state: 'COMPLETED', images: final.images })
  })

  it('keeps FIFO order with positions that every API node agrees on', async () => {
    const { api } = await topology({ stepMs: 40, workers: 1 })
    const jobs: JobRecord[] = []
    for (let index = 0; index < 4; index += 1) {
      jobs.push(await api[index % 2]!.submit({ input: input(`fifo ${index}`), owner: 'o', fingerprint: `${index}` }))
    }
    const positions = await Promise.all(jobs.map((job) => api[1]!.get(job.id, 'o')))
    const queued = positions.filter((record) => record!.state === 'IN_QUEUE')
    expect(queued.map((record) => record!.queuePosition)).toEqual([...queued.keys()])
    const finished = await Promise.all(jobs.map((job) => api[0]!.waitFor(job.id, 'o')))
    const starts = finished.map((record) => record.finishedAt!)
    expect([...starts].sort((a, b) => a - b)).toEqual(starts)
  })

  it('hides a job from every other owner', async () => {
    const { api } = await topology()
    const job = await api[0]!.submit({ input: input('mine'), owner: 'alice', fingerprint: 'f' })
    expect(await api[1]!.get(job.id, 'bob')).toBeUndefined()
    expect(await api[1]!.cancel(job.id, 'bob')).toBe('not_found')
    await expect(api[1]!.watch(job.id, 'bob', () => {})).rejects.toMatchObject({ code: 'not_found' })
    expect((await api[1]!.waitFor(job.id, 'alice')).outcome).toBe('succeeded')
  })

  it('shares Idempotency-Keys between API nodes, per owner', async () => {
    const { api } = await topology({ stepMs: 20 })
    const first = await api[0]!.submit({ input: input('idem'), owner: 'a', idempotencyKey: 'k1', fingerprint: 'body' })
    const again = await api[1]!.submit({ input: input('idem'), owner: 'a', idempotencyKey: 'k1', fingerprint: 'body' })
    expect(again.id).toBe(first.id)
    const otherOwner = await api[1]!.submit({
      input: input('idem'),
      owner: 'b',
      idempotencyKey: 'k1',
      fingerprint: 'another body',
    })
    expect(otherOwner.id).not.toBe(first.id)
    await expect(
      api[1]!.submit({ input: input('x'), owner: 'a', idempotencyKey: 'k1', fingerprint: 'another body' }),
    ).rejects.toMatchObject({ code: 'idempotency_conflict' })
  })

  it('cancels a queued job at once and a running one on its worker, from the other API node', async () => {
    const { api } = await topology({ stepMs: 300, workers: 1 })
    const running = await api[0]!.submit({ input: input('long', 4), owner: 'o', fingerprint: '1' })
    const queued = await api[0]!.submit({ input: input('queued', 4), owner: 'o', fingerprint: '2' })
    const behind = await api[0]!.submit({ input: input('behind', 4), owner: 'o', fingerprint: '3' })
    await new Promise<void>((resolve) => {
      void api[1]!.watch(running.id, 'o', (record) => record.state === 'IN_PROGRESS' && resolve())
    })
    expect(await api[1]!.cancel(queued.id, 'o')).toBe('cancellation_requested')
    expect(await api[1]!.get(queued.id, 'o')).toMatchObject({ state: 'COMPLETED', outcome: 'cancelled' })
    expect(await api[0]!.get(behind.id, 'o')).toMatchObject({ state: 'IN_QUEUE', queuePosition: 0 })
    const started = Date.now()
    expect(await api[1]!.cancel(running.id, 'o')).toBe('cancellation_requested')
    const cancelled = await api[0]!.waitFor(running.id, 'o')
    expect(cancelled).toMatchObject({ outcome: 'cancelled', error: { status: 400 } })
    expect(Date.now() - started).toBeLessThan(1000)
    expect(await api[1]!.cancel(running.id, 'o')).toBe('already_completed')
    await api[0]!.cancel(behind.id, 'o')
  })

  it('refuses past the bound with queue_full and a Retry-After from the backlog', async () => {
    const { api } = await topology({ stepMs: 200, workers: 1, maxQueueSize: 2 })
    const first = await api[0]!.submit({ input: input('full 0', 4), owner: 'o', fingerprint: '0' })
    const accepted: JobRecord[] = [first]
    // The worker holds the first job before the others come: they all wait.
    await new Promise<void>((resolve) => {
      void api[1]!.watch(first.id, 'o', (record) => record.state === 'IN_PROGRESS' && resolve())
    })
    let refused: unknown
    for (let index = 1; index < 5 && !refused; index += 1) {
      await api[index % 2]!.submit({ input: input(`full ${index}`, 4), owner: 'o', fingerprint: `${index}` }).then(
        (record) => accepted.push(record),
        (error: unknown) => (refused = error),
      )
    }
    expect(refused).toBeInstanceOf(QueueError)
    expect(refused).toMatchObject({ code: 'queue_full' })
    expect((refused as QueueError).retryAfterS).toBeGreaterThanOrEqual(1)
    // One job running, two waiting: the fourth submit is the first past the bound.
    expect(accepted).toHaveLength(3)
    for (const job of accepted) await api[0]!.cancel(job.id, 'o')
    expect(statesOf(await Promise.all(accepted.map((job) => api[1]!.waitFor(job.id, 'o'))))).toEqual([
      'COMPLETED',
      'COMPLETED',
      'COMPLETED',
    ])
  })

  it('reports the workers behind it in health', async () => {
    const { api } = await topology()
    await expect(api[1]!.health()).resolves.toMatchObject({ state: 'ready', backend: 'synthetic', waiting: 0 })
  })
})

import {
  type Backend,
  BackendError,
  type ImageStore,
  type JobOwner,
  type JobQueue,
  type JobRecord,
  MemoryImageStore,
  QueueError,
  resolveGenerateRequest,
} from '@genimage/core'
import { afterEach, describe, expect, it } from 'vitest'
import { type ManualBackend, manualBackend } from './manual-backend.js'

/** Queue settings a conformance test may ask for; an implementation maps each to its own option. */
export interface ConformanceQueueOptions {
  /** Jobs allowed to wait before `queue_full`. */
  maxQueueSize?: number
  /** Longest a job may run before it fails with 504. */
  jobTimeoutMs?: number
  /** Times a job is handed to a backend that was unavailable mid-job. */
  maxAttempts?: number
  /** How long a finished job stays readable. */
  resultTtlMs?: number
  /** Finished jobs kept readable at most. */
  maxFinishedJobs?: number
  /** How long an Idempotency-Key is remembered. */
  idempotencyTtlMs?: number
  /** Clock in epoch milliseconds that retention reads (tests move it forward). */
  now?: () => number
}

/** What a test asks the factory to build. */
export interface QueueSetup {
  /** The backend every worker of the queue runs jobs on (a manual one, or a synthetic one with a step time). */
  backend: Backend
  /** The image store the workers put images in. */
  store: ImageStore
  /** Queue settings; absent ones keep the implementation's defaults. */
  options: ConformanceQueueOptions
}

/** A queue built for one test. */
export interface QueueFixture {
  /** The node the test talks to first. */
  queue: JobQueue
  /** Another API node over the same backing state (same jobs, owners, idempotency keys); required with `nodes`. */
  anotherNode?: () => Promise<JobQueue>
  /** Releases everything the fixture made (nodes, workers, connections). */
  close(): Promise<void>
}

/**
 * Builds a queue for one conformance test: workers over `setup.backend` and `setup.store` with `setup.options`.
 * Called once per test; the suite closes the fixture after the test.
 * @example
 * defineQueueConformance('MemoryJobQueue', async ({ backend, store, options }) => {
 *   const queue = new MemoryJobQueue({ backend, store, ...options })
 *   return { queue, close: () => queue.close() }
 * })
 */
export type QueueFactory = (setup: QueueSetup) => Promise<QueueFixture>

const ALICE: JobOwner = 'owner-alice'
const BOB: JobOwner = 'owner-bob'

const request = (prompt: string, extra: Record<string, unknown> = {}, owner = ALICE) => ({
  input: resolveGenerateRequest({ prompt, seed: 1, width: 256, height: 256, ...extra }),
  owner,
  fingerprint: `fingerprint of ${prompt}`,
})

/** Resolves with the first record of job `id` that satisfies `predicate`, as watch reports them. */
const until = async (
  queue: JobQueue,
  id: string,
  predicate: (record: JobRecord) => boolean,
  owner = ALICE,
): Promise<JobRecord> => {
  let stop = (): void => {}
  const found = new Promise<JobRecord>((resolve) => {
    void queue
      .watch(id, owner, (record) => {
        if (predicate(record)) resolve(record)
      })
      .then((unsubscribe) => {
        stop = unsubscribe
      })
  })
  const record = await found
  stop()
  return record
}

const queueErrorOf = async (promise: Promise<unknown>): Promise<QueueError> => {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  )
  expect(error).toBeInstanceOf(QueueError)
  return error as QueueError
}

/** What an implementation can do beyond the embedded queue, which decides the cases it must also pass. */
export interface QueueCapabilities {
  /** Several API nodes share one backing state: the factory's fixtures have `anotherNode`. @default false */
  nodes?: boolean
  /**
   * Accepted jobs outlive a node: drain's grace leaves queued jobs queued for other workers instead of ending them
   * as `dropped`. @default false
   */
  durable?: boolean
}

/**
 * Registers the conformance suite of the queue port: every {@link JobQueue} implementation must pass it unchanged.
 * @example defineQueueConformance('BullMQ queue', redisFactory, { nodes: true, durable: true })
 */
export function defineQueueConformance(
  name: string,
  factory: QueueFactory,
  capabilities: QueueCapabilities = {},
): void {
  describe(`queue conformance: ${name}`, () => {
    const fixtures: QueueFixture[] = []
    afterEach(async () => {
      for (const fixture of fixtures.splice(0)) await fixture.close()
    })

    const make = async (
      options: ConformanceQueueOptions = {},
      manual: ManualBackend = manualBackend(),
      store: ImageStore = new MemoryImageStore(),
    ) => {
      const fixture = await factory({ backend: manual.backend, store, options })
      fixtures.push(fixture)
      return { queue: fixture.queue, manual, store, fixture }
    }

    describe('webhooks', () => {
      it('carries the webhook of a submit on its record, while queued and once completed, on every node', async () => {
        const { queue, manual, fixture } = await make()
        const webhook = { url: 'https://hooks.example.com/g', baseUrl: 'https://api.example.com' }
        const job = await queue.submit({ ...request('with webhook'), webhook })
        const plain = await queue.submit(request('without webhook'))
        expect(job.webhook).toEqual(webhook)
        expect((await queue.get(job.id, ALICE))?.webhook).toEqual(webhook)
        ;(await manual.nthStarted(1)).resolve()
        expect((await queue.waitFor(job.id, ALICE)).webhook).toEqual(webhook)
        const other = fixture.anotherNode ? await fixture.anotherNode() : queue
        expect((await other.get(job.id, ALICE))?.webhook).toEqual(webhook)
        ;(await manual.nthStarted(2)).resolve()
        expect((await queue.waitFor(plain.id, ALICE)).webhook).toBeUndefined()
      })
    })

    describe('order and progress', () => {
      it('runs jobs in FIFO order and reports queue positions', async () => {
        const { queue, manual } = await make()
        const a = await queue.submit(request('a'))
        const b = await queue.submit(request('b'))
        const c = await queue.submit(request('c'))
        await manual.nthStarted(1)
        expect((await queue.get(a.id, ALICE))?.state).toBe('IN_PROGRESS')
        expect((await queue.get(b.id, ALICE))?.queuePosition).toBe(0)
        expect((await queue.get(c.id, ALICE))?.queuePosition).toBe(1)
        manual.started[0]!.resolve()
        await manual.nthStarted(2)
        expect(manual.started.map((held) => held.job.input.prompt)).toEqual(['a', 'b'])
        expect(await queue.get(c.id, ALICE)).toMatchObject({ state: 'IN_QUEUE', queuePosition: 0 })
      })

      it('hands the next job over when the backend opens room, with no job ending', async () => {
        const { queue, manual } = await make()
        await queue.submit(request('a'))
        const b = await queue.submit(request('b'))
        await manual.nthStarted(1)
        expect((await queue.get(b.id, ALICE))?.state).toBe('IN_QUEUE')
        manual.openRoom()
        expect((await manual.nthStarted(2)).job.id).toBe(b.id)
        expect(manual.started[0]!.job.input.prompt).toBe('a')
      })

      it('reports step progress through watch, then the completed record with the stored image', async () => {
        const { queue, manual, store } = await make()
        const job = await queue.submit(request('progress', { num_inference_steps: 2 }))
        const seen: string[] = []
        const completed = new Promise<JobRecord>((resolve) => {
          void queue.watch(job.id, ALICE, (record) => {
            seen.push(`${record.state}:${record.progress.step}/${record.progress.total_steps}`)
            if (record.state === 'COMPLETED') resolve(record)
          })
        })
        const held = await manual.nthStarted(1)
        held.job.reportProgress(1, 2)
        await until(queue, job.id, (record) => record.progress.step === 1)
        held.resolve()
        const done = await completed
        expect(seen).toContain('IN_PROGRESS:1/2')
        expect(seen.at(-1)).toBe('COMPLETED:2/2')
        expect(done).toMatchObject({ outcome: 'succeeded', images: [{ contentType: 'image/png', width: 256 }] })
        expect(done.images?.[0]?.key).toMatch(/^[0-9a-f]{32}\.png$/)
        expect(new TextDecoder().decode((await store.get(done.images![0]!.key))!.bytes)).toBe('image of progress')
        // Plain data: what crosses the port survives JSON unchanged, and holds no image bytes.
        expect(JSON.parse(JSON.stringify(done))).toEqual(done)
      })

      it('completes a num_images job as one job with every image stored, in seed order', async () => {
        const { queue, manual, store } = await make()
        const job = await queue.submit(request('four', { num_images: 4 }))
        const held = await manual.nthStarted(1)
        expect(held.job.input).toMatchObject({ num_images: 4, seed: 1 })
        held.resolve()
        const done = await queue.waitFor(job.id, ALICE)
        expect(done.images).toHaveLength(4)
        const texts = []
        for (const image of done.images!) texts.push(new TextDecoder().decode((await store.get(image.key))!.bytes))
        expect(texts).toEqual(['image of four', 'image 1 of four', 'image 2 of four', 'image 3 of four'])
        expect(JSON.parse(JSON.stringify(done))).toEqual(done)
      })

      it('carries an image-to-image input as its store key and size; the worker hands its bytes to the backend', async () => {
        const { queue, manual, store } = await make()
        const bytes = new TextEncoder().encode('the input picture')
        const image = {
          key: '0123456789abcdef0123456789abcdef.png',
          content_type: 'image/png' as const,
          width: 64,
          height: 48,
        }
        await store.put(image.key, { bytes, contentType: 'image/png' })
        const job = await queue.submit({
          ...request('img2img'),
          input: { ...request('img2img').input, image, strength: 0.5 },
        })
        expect((await queue.get(job.id, ALICE))?.input).toMatchObject({ image, strength: 0.5 })
        const held = await manual.nthStarted(1)
        expect(held.job.inputImage).toEqual({ bytes, contentType: 'image/png', width: 64, height: 48 })
        held.resolve()
        expect(await queue.waitFor(job.id, ALICE)).toMatchObject({ outcome: 'succeeded' })
        // A picture gone from the store by the time the job runs fails the job with 422, before the backend.
        const gone = { ...image, key: 'fedcba9876543210fedcba9876543210.png' }
        const late = await queue.submit({
          ...request('late'),
          input: { ...request('late').input, image: gone, strength: 0.5 },
        })
        expect(await queue.waitFor(late.id, ALICE)).toMatchObject({ outcome: 'failed', error: { status: 422 } })
      })

      it('reports health: backend state, waiting and running', async () => {
        const { queue, manual } = await make()
        await queue.submit(request('a'))
        await queue.submit(request('b'))
        await manual.nthStarted(1)
        expect(await queue.health()).toMatchObject({
          state: 'ready',
          backend: 'manual',
          draining: false,
          waiting: 1,
          running: 1,
        })
      })
    })

    describe('cancel', () => {
      it('removes a queued job at once, never runs it, and moves the others up', async () => {
        const { queue, manual } = await make()
        await queue.submit(request('a'))
        const b = await queue.submit(request('b'))
        const c = await queue.submit(request('c'))
        expect(await queue.cancel(b.id, ALICE)).toBe('cancellation_requested')
        expect(await queue.get(b.id, ALICE)).toMatchObject({
          state: 'COMPLETED',
          outcome: 'cancelled',
          error: { status: 400, kind: 'cancelled' },
        })
        expect((await queue.get(c.id, ALICE))?.queuePosition).toBe(0)
        ;(await manual.nthStarted(1)).resolve()
        await manual.nthStarted(2)
        expect(manual.started.map((held) => held.job.input.prompt)).toEqual(['a', 'c'])
      })

      it('interrupts a running job on its backend; a second cancel finds it completed', async () => {
        const { queue, manual } = await make()
        const job = await queue.submit(request('running'))
        const held = await manual.nthStarted(1)
        expect(await queue.cancel(job.id, ALICE)).toBe('cancellation_requested')
        expect(held.job.signal.aborted).toBe(true)
        expect((await queue.waitFor(job.id, ALICE)).outcome).toBe('cancelled')
        expect(await queue.cancel(job.id, ALICE)).toBe('already_completed')
      })
    })

    describe('failures', () => {
      it('fails a job that runs past the timeout with 504 and aborts it on the backend', async () => {
        const { queue, manual } = await make({ jobTimeoutMs: 30 })
        const job = await queue.submit(request('slow'))
        const held = await manual.nthStarted(1)
        const done = await queue.waitFor(job.id, ALICE)
        expect(done).toMatchObject({ outcome: 'failed', error: { status: 504, kind: 'timeout' } })
        expect(held.job.signal.aborted).toBe(true)
      })

      it.each([
        ['execution_failed', 502],
        ['out_of_memory', 502],
        ['timeout', 504],
        ['invalid_input', 422],
      ] as const)('maps a backend %s failure to %i with its message', async (kind, status) => {
        const { queue, manual } = await make()
        const job = await queue.submit(request(kind))
        ;(await manual.nthStarted(1)).reject(new BackendError(kind, 'node 13 (SamplerCustom) failed'))
        const done = await queue.waitFor(job.id, ALICE)
        expect(done.error).toMatchObject({ status, kind })
        expect(done.error?.message).toContain('node 13 (SamplerCustom) failed')
      })

      it('runs a job again, same id, when the backend was unavailable; gives up after maxAttempts with 503', async () => {
        const { queue, manual } = await make({ maxAttempts: 2 })
        const job = await queue.submit(request('flaky'))
        ;(await manual.nthStarted(1)).reject(new BackendError('unavailable', 'ComfyUI restarted'))
        const again = await manual.nthStarted(2)
        expect(again.job.id).toBe(job.id)
        again.reject(new BackendError('unavailable', 'ComfyUI restarted'))
        expect((await queue.waitFor(job.id, ALICE)).error).toMatchObject({ status: 503, kind: 'unavailable' })
        expect(manual.started).toHaveLength(2)
      })

      it('refuses jobs with not_ready until the backend has started, and queues them while it restarts', async () => {
        const { queue, manual } = await make()
        manual.setState('starting')
        const refused = await queueErrorOf(queue.submit(request('early')))
        expect(refused.code).toBe('not_ready')
        expect(refused.retryAfterS).toBeGreaterThanOrEqual(1)
        manual.setState('restarting')
        expect((await queue.submit(request('during restart'))).state).not.toBe('COMPLETED')
      })
    })

    describe('bounded queue', () => {
      it('refuses exactly the first job past maxQueueSize with queue_full and a Retry-After', async () => {
        const { queue, manual } = await make({ maxQueueSize: 2 })
        await queue.submit(request('running'))
        await manual.nthStarted(1)
        await queue.submit(request('waiting 1'))
        await queue.submit(request('waiting 2'))
        const refused = await queueErrorOf(queue.submit(request('one too many')))
        expect(refused.code).toBe('queue_full')
        expect(refused.retryAfterS).toBeGreaterThanOrEqual(1)
        expect(refused.message).toMatch(/queue is full/i)
      })
    })

    describe('owners', () => {
      it('hides a job from every other owner: get, watch, waitFor and cancel see nothing, and the job runs on', async () => {
        const { queue, manual } = await make()
        const job = await queue.submit(request('alice only'))
        await manual.nthStarted(1)
        expect(await queue.get(job.id, BOB)).toBeUndefined()
        expect((await queueErrorOf(queue.watch(job.id, BOB, () => {}))).code).toBe('not_found')
        expect((await queueErrorOf(queue.waitFor(job.id, BOB))).code).toBe('not_found')
        expect(await queue.cancel(job.id, BOB)).toBe('not_found')
        expect(manual.started[0]!.job.signal.aborted).toBe(false)
        manual.started[0]!.resolve()
        expect((await queue.waitFor(job.id, ALICE)).outcome).toBe('succeeded')
        expect(await queue.get(job.id, BOB)).toBeUndefined()
      })
    })

    describe('idempotency', () => {
      const keyed = (prompt: string, key: string, owner = ALICE) => ({
        ...request(prompt, {}, owner),
        idempotencyKey: key,
      })

      it('joins the running or succeeded job of the same key and body, running it once', async () => {
        const { queue, manual } = await make()
        const first = await queue.submit(keyed('same', 'k-1'))
        expect((await queue.submit(keyed('same', 'k-1'))).id).toBe(first.id)
        ;(await manual.nthStarted(1)).resolve()
        await queue.waitFor(first.id, ALICE)
        expect((await queue.submit(keyed('same', 'k-1'))).id).toBe(first.id)
        expect(manual.started).toHaveLength(1)
      })

      it('refuses the same key with another body with idempotency_conflict', async () => {
        const { queue } = await make()
        await queue.submit(keyed('first body', 'k-2'))
        expect((await queueErrorOf(queue.submit(keyed('second body', 'k-2')))).code).toBe('idempotency_conflict')
      })

      it('runs a failed job again under the same key, then joins the new one', async () => {
        const { queue, manual } = await make()
        const first = await queue.submit(keyed('retry', 'k-3'))
        ;(await manual.nthStarted(1)).reject(new BackendError('out_of_memory', 'CUDA out of memory'))
        await queue.waitFor(first.id, ALICE)
        const retry = await queue.submit(keyed('retry', 'k-3'))
        expect(retry.id).not.toBe(first.id)
        ;(await manual.nthStarted(2)).resolve()
        await queue.waitFor(retry.id, ALICE)
        expect((await queue.submit(keyed('retry', 'k-3'))).id).toBe(retry.id)
      })

      it("scopes keys to their owner: another owner's same key starts its own job, never a conflict", async () => {
        const { queue } = await make()
        const alice = await queue.submit(keyed('alice body', 'shared-key'))
        const bob = await queue.submit(keyed('bob body', 'shared-key', BOB))
        expect(bob.id).not.toBe(alice.id)
        expect(bob.owner).toBe(BOB)
        expect((await queue.submit(keyed('bob body', 'shared-key', BOB))).id).toBe(bob.id)
      })
    })

    describe('drain', () => {
      it('refuses new jobs and resolves once every accepted job has completed', async () => {
        const { queue, manual } = await make()
        const job = await queue.submit(request('accepted'))
        const held = await manual.nthStarted(1)
        let drained = false
        const draining = queue.drain().then((report) => {
          drained = true
          return report
        })
        expect((await queueErrorOf(queue.submit(request('late')))).code).toBe('draining')
        expect((await queue.health()).draining).toBe(true)
        expect(drained).toBe(false)
        held.resolve()
        expect(await draining).toEqual({ dropped: 0 })
        expect((await queue.get(job.id, ALICE))?.outcome).toBe('succeeded')
      })

      it('ends every job still owed when the grace runs out as failed, kind dropped, 503', async () => {
        const { queue, manual } = await make()
        const running = await queue.submit(request('running'))
        const queued = await queue.submit(request('queued'))
        await manual.nthStarted(1)
        const report = await queue.drain({ graceMs: 20 })
        const dropped = { state: 'COMPLETED', outcome: 'failed', error: { status: 503, kind: 'dropped' } }
        expect(await queue.get(running.id, ALICE)).toMatchObject(dropped)
        expect((await queue.get(running.id, ALICE))?.error?.message).toMatch(/dropped.*submit it again/)
        // A durable queue leaves queued jobs for other workers; the embedded one ends them and says how many.
        if (capabilities.durable) {
          expect(await queue.get(queued.id, ALICE)).toMatchObject({ state: 'IN_QUEUE' })
          expect(report.dropped).toBe(1)
        } else {
          expect(await queue.get(queued.id, ALICE)).toMatchObject(dropped)
          expect(report.dropped).toBe(2)
        }
        expect(manual.started).toHaveLength(1)
      })
    })

    // Registered only for implementations with nodes, so the embedded queue reports no skipped case.
    if (capabilities.nodes) {
      describe('nodes', () => {
        it('lets any node answer for any job of its owner, and shares idempotency keys', async () => {
          const { fixture, manual } = await make()
          const other = await fixture.anotherNode!()
          const job = await fixture.queue.submit({ ...request('across nodes'), idempotencyKey: 'k-nodes' })
          expect((await other.get(job.id, ALICE))?.id).toBe(job.id)
          expect(await other.get(job.id, BOB)).toBeUndefined()
          expect((await other.submit({ ...request('across nodes'), idempotencyKey: 'k-nodes' })).id).toBe(job.id)
          ;(await manual.nthStarted(1)).resolve()
          expect((await other.waitFor(job.id, ALICE)).outcome).toBe('succeeded')
        })
      })
    }

    describe('retention', () => {
      it('forgets a finished job after resultTtlMs', async () => {
        let now = 1_700_000_000_000
        const { queue, manual } = await make({ resultTtlMs: 60_000, now: () => now })
        const job = await queue.submit(request('short-lived'))
        ;(await manual.nthStarted(1)).resolve()
        await queue.waitFor(job.id, ALICE)
        now += 59_000
        expect((await queue.get(job.id, ALICE))?.outcome).toBe('succeeded')
        now += 2000
        expect(await queue.get(job.id, ALICE)).toBeUndefined()
        expect(await queue.cancel(job.id, ALICE)).toBe('not_found')
      })

      it('keeps at most maxFinishedJobs finished jobs, forgetting the oldest first', async () => {
        const { queue, manual } = await make({ maxFinishedJobs: 2 })
        const ids: string[] = []
        for (const [index, prompt] of ['one', 'two', 'three'].entries()) {
          const job = await queue.submit(request(prompt))
          ;(await manual.nthStarted(index + 1)).resolve()
          await queue.waitFor(job.id, ALICE)
          ids.push(job.id)
        }
        expect(await queue.get(ids[0]!, ALICE)).toBeUndefined()
        expect((await queue.get(ids[1]!, ALICE))?.outcome).toBe('succeeded')
        expect((await queue.get(ids[2]!, ALICE))?.outcome).toBe('succeeded')
      })

      it('forgets an Idempotency-Key after idempotencyTtlMs: the same key with another body is a new job', async () => {
        let now = 1_700_000_000_000
        const { queue } = await make({ idempotencyTtlMs: 60_000, now: () => now })
        const first = await queue.submit({ ...request('before'), idempotencyKey: 'k-ttl' })
        now += 59_000
        await expect(queue.submit({ ...request('other body'), idempotencyKey: 'k-ttl' })).rejects.toThrow(
          /different request body/,
        )
        now += 2000
        const later = await queue.submit({ ...request('other body'), idempotencyKey: 'k-ttl' })
        expect(later.id).not.toBe(first.id)
      })
    })
  })
}

import { describe, expect, it, vi } from 'vitest'
import { type Backend, BackendError, type BackendJob, type BackendState } from '../backend.js'
import type { HttpProblem } from '../errors.js'
import { MemoryImageStore } from '../store/memory-store.js'
import { resolveGenerateRequest } from '../validation/generate-request.js'
import { JobEngine } from './job-engine.js'

/** A backend whose jobs run until the test settles them. */
const manualBackend = (concurrency = 1) => {
  const started: { job: BackendJob; resolve: () => void; reject: (error: unknown) => void }[] = []
  const backend: Backend = {
    name: 'manual',
    concurrency,
    state: () => 'ready',
    run: (job) =>
      new Promise((resolve, reject) => {
        job.signal.addEventListener('abort', () => reject(job.signal.reason), { once: true })
        started.push({
          job,
          reject,
          resolve: () =>
            resolve({
              bytes: new TextEncoder().encode(`image of ${job.input.prompt}`),
              contentType: 'image/png',
              width: job.input.width,
              height: job.input.height,
              inferenceMs: 1,
              encodeMs: 1,
            }),
        })
      }),
  }
  return { backend, started }
}

const input = (prompt: string) => resolveGenerateRequest({ prompt, seed: 1 })
const flush = () => new Promise((resolve) => setTimeout(resolve, 0))

describe('JobEngine', () => {
  it('runs jobs in FIFO order and reports queue positions', async () => {
    const { backend, started } = manualBackend()
    const engine = new JobEngine({ backend, store: new MemoryImageStore() })
    const a = engine.submit(input('a'))
    const b = engine.submit(input('b'))
    const c = engine.submit(input('c'))
    expect(engine.get(a.id)?.state).toBe('IN_PROGRESS')
    expect([engine.get(b.id)?.queuePosition, engine.get(c.id)?.queuePosition]).toEqual([0, 1])
    started[0]!.resolve()
    await engine.waitFor(a.id)
    expect(started.map((s) => s.job.input.prompt)).toEqual(['a', 'b'])
    expect(engine.get(c.id)?.queuePosition).toBe(0)
  })

  it('stores the image under a content key and reports timings', async () => {
    const { backend, started } = manualBackend()
    const store = new MemoryImageStore()
    const engine = new JobEngine({ backend, store })
    const job = engine.submit(input('fox'))
    started[0]!.resolve()
    const done = await engine.waitFor(job.id)
    expect(done.outcome).toBe('succeeded')
    expect(done.image?.key).toMatch(/^[0-9a-f]{32}\.png$/)
    expect(new TextDecoder().decode((await store.get(done.image!.key))!.bytes)).toBe('image of fox')
    expect(done.timings?.total_ms).toBeGreaterThanOrEqual(0)
  })

  it('hands over as many jobs as the backend takes at once', () => {
    const { backend, started } = manualBackend(2)
    const engine = new JobEngine({ backend, store: new MemoryImageStore() })
    for (const prompt of ['a', 'b', 'c']) engine.submit(input(prompt))
    expect(started).toHaveLength(2)
    expect(engine.queueDepth).toBe(1)
  })

  it('notifies listeners of progress and completion', async () => {
    const { backend, started } = manualBackend()
    const engine = new JobEngine({ backend, store: new MemoryImageStore() })
    const job = engine.submit(resolveGenerateRequest({ prompt: 'p', num_inference_steps: 2 }))
    const seen: string[] = []
    engine.subscribe(job.id, (s) => seen.push(`${s.state}:${s.progress.step}/${s.progress.total_steps}`))
    started[0]!.job.reportProgress(1, 2)
    started[0]!.resolve()
    await engine.waitFor(job.id)
    expect(seen).toEqual(['IN_PROGRESS:1/2', 'COMPLETED:2/2'])
  })

  it('cancels a queued job without running it and moves the others up', async () => {
    const { backend, started } = manualBackend()
    const engine = new JobEngine({ backend, store: new MemoryImageStore() })
    engine.submit(input('a'))
    const b = engine.submit(input('b'))
    const c = engine.submit(input('c'))
    expect(engine.cancel(b.id)).toBe(true)
    expect(engine.get(b.id)).toMatchObject({ state: 'COMPLETED', outcome: 'cancelled' })
    expect(engine.get(c.id)?.queuePosition).toBe(0)
    started[0]!.resolve()
    await flush()
    await flush()
    expect(started.map((s) => s.job.input.prompt)).toEqual(['a', 'c'])
  })

  it('cancels a running job by aborting it on the backend', async () => {
    const { backend, started } = manualBackend()
    const engine = new JobEngine({ backend, store: new MemoryImageStore() })
    const job = engine.submit(input('a'))
    expect(engine.cancel(job.id)).toBe(true)
    expect(started[0]!.job.signal.aborted).toBe(true)
    expect((await engine.waitFor(job.id)).outcome).toBe('cancelled')
    expect(engine.cancel(job.id)).toBe(false)
  })

  it('answers 429 with Retry-After when the queue is full', () => {
    const { backend } = manualBackend()
    const engine = new JobEngine({ backend, store: new MemoryImageStore(), maxQueueSize: 1 })
    engine.submit(input('running'))
    engine.submit(input('waiting'))
    let problem: HttpProblem | undefined
    try {
      engine.submit(input('one too many'))
    } catch (error) {
      problem = error as HttpProblem
    }
    expect(problem?.status).toBe(429)
    expect(Number(problem?.headers['Retry-After'])).toBeGreaterThanOrEqual(1)
  })

  it('ends a job that runs too long in 504 and reports it', async () => {
    vi.useFakeTimers()
    try {
      const { backend, started } = manualBackend()
      const onJobTimeout = vi.fn()
      const engine = new JobEngine({ backend, store: new MemoryImageStore(), jobTimeoutMs: 1000, onJobTimeout })
      const job = engine.submit(input('slow'))
      await vi.advanceTimersByTimeAsync(1001)
      const done = await engine.waitFor(job.id)
      expect(done.outcome).toBe('failed')
      expect(done.error?.status).toBe(504)
      expect(onJobTimeout).toHaveBeenCalledWith(job.id)
      expect(started[0]!.job.signal.aborted).toBe(true)
    } finally {
      vi.useRealTimers()
    }
  })

  it.each([
    ['execution_failed', 502],
    ['out_of_memory', 502],
    ['timeout', 504],
  ] as const)('maps a backend %s error to %i', async (kind, status) => {
    const { backend, started } = manualBackend()
    const engine = new JobEngine({ backend, store: new MemoryImageStore() })
    const job = engine.submit(input('x'))
    started[0]!.reject(new BackendError(kind, 'node 13 (SamplerCustom) failed'))
    const done = await engine.waitFor(job.id)
    expect(done.error?.status).toBe(status)
    expect(done.error?.message).toContain('node 13 (SamplerCustom) failed')
    expect(engine.metrics.render()).toContain(`genimage_errors_total{kind="${kind}"} 1`)
  })

  it('resubmits a job when the backend becomes unavailable mid-job', async () => {
    const { backend, started } = manualBackend()
    const engine = new JobEngine({ backend, store: new MemoryImageStore() })
    const job = engine.submit(input('x'))
    started[0]!.reject(new BackendError('unavailable', 'ComfyUI restarted'))
    await flush()
    expect(started).toHaveLength(2)
    expect(started[1]!.job.id).toBe(job.id)
    started[1]!.resolve()
    expect((await engine.waitFor(job.id)).outcome).toBe('succeeded')
  })

  it('gives up after maxAttempts unavailable attempts with 503', async () => {
    const { backend, started } = manualBackend()
    const engine = new JobEngine({ backend, store: new MemoryImageStore(), maxAttempts: 2 })
    const job = engine.submit(input('x'))
    started[0]!.reject(new BackendError('unavailable', 'down'))
    await flush()
    started[1]!.reject(new BackendError('unavailable', 'down'))
    expect((await engine.waitFor(job.id)).error?.status).toBe(503)
  })

  it('joins the first job when an idempotency key repeats with the same body', () => {
    const { backend, started } = manualBackend()
    const engine = new JobEngine({ backend, store: new MemoryImageStore() })
    const first = engine.submit(input('x'), { idempotencyKey: 'k', fingerprint: 'body-1' })
    const again = engine.submit(input('x'), { idempotencyKey: 'k', fingerprint: 'body-1' })
    expect(again.id).toBe(first.id)
    expect(started).toHaveLength(1)
    expect(() => engine.submit(input('y'), { idempotencyKey: 'k', fingerprint: 'body-2' })).toThrow(
      /different request body/,
    )
  })

  it('runs a job again when its idempotency key comes back after a failure', async () => {
    const { backend, started } = manualBackend()
    const engine = new JobEngine({ backend, store: new MemoryImageStore() })
    const first = engine.submit(input('x'), { idempotencyKey: 'k', fingerprint: 'body' })
    started[0]!.reject(new BackendError('out_of_memory', 'CUDA out of memory'))
    await engine.waitFor(first.id)
    const retry = engine.submit(input('x'), { idempotencyKey: 'k', fingerprint: 'body' })
    expect(retry.id).not.toBe(first.id)
    expect(started).toHaveLength(2)
    started[1]!.resolve()
    await engine.waitFor(retry.id)
    expect(engine.submit(input('x'), { idempotencyKey: 'k', fingerprint: 'body' }).id).toBe(retry.id)
  })

  it('drains: refuses new jobs with 503 and resolves when accepted ones finish', async () => {
    const { backend, started } = manualBackend()
    const engine = new JobEngine({ backend, store: new MemoryImageStore() })
    engine.submit(input('x'))
    let drained = false
    const draining = engine.drain().then(() => {
      drained = true
    })
    expect(() => engine.submit(input('y'))).toThrow(/draining/)
    await flush()
    expect(drained).toBe(false)
    started[0]!.resolve()
    await draining
    expect(drained).toBe(true)
  })

  it('answers 503 with Retry-After until the backend has started, and queues jobs while it restarts', () => {
    let state: BackendState = 'starting'
    const { backend } = manualBackend()
    const engine = new JobEngine({ backend: { ...backend, state: () => state }, store: new MemoryImageStore() })
    expect(() => engine.submit(input('early'))).toThrow(/not ready: the manual backend is starting/)
    state = 'restarting'
    expect(engine.submit(input('during restart')).state).not.toBe('COMPLETED')
  })

  it('answers 404 for unknown ids', () => {
    const engine = new JobEngine({ backend: manualBackend().backend, store: new MemoryImageStore() })
    expect(() => engine.cancel('nope')).toThrow(/not found/)
    expect(engine.get('nope')).toBeUndefined()
  })

  it('records metrics in Prometheus text', async () => {
    const { backend, started } = manualBackend()
    const engine = new JobEngine({ backend, store: new MemoryImageStore() })
    const job = engine.submit(input('x'))
    started[0]!.resolve()
    await engine.waitFor(job.id)
    const text = engine.metrics.render()
    expect(text).toContain('genimage_jobs_total{outcome="succeeded"} 1')
    expect(text).toContain('genimage_queue_depth 0')
    expect(text).toMatch(/genimage_job_duration_seconds_count 1/)
  })
})

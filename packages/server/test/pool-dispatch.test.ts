import { BackendError, type BackendImage, type BackendJob, type BackendResult, MetricsRegistry } from '@genimage/core'
import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import {
  type ComfyInstance,
  type ComfyInstanceEvents,
  createComfyPool,
  DEFAULT_WARMUP,
  InstanceLostError,
  type InstanceState,
  MAX_MOVES,
} from '../src/comfyui/index.js'
import { STUB_IMAGE } from './fixtures/comfy-backend-harness.js'

/** An instance whose jobs the test settles by hand, and whose state it sets. */
class StubInstance implements ComfyInstance {
  readonly gpu = '0'
  readonly baseUrl = 'http://127.0.0.1:1'
  readonly pid = 1
  restarts = 0
  readonly restartReasons: string[] = []
  readonly running: { job: BackendJob; resolve(result: BackendResult): void; reject(error: unknown): void }[] = []
  #state: InstanceState = 'ready'
  readonly #listeners = new Set<(payload: ComfyInstanceEvents['state']) => void>()
  readonly #capacity = new Set<() => void>()
  /** Room for one more job while running, as a batching instance has once its prompt left the GPU. */
  extraRoom = 0

  get concurrency(): number {
    return 1 + this.extraRoom
  }

  onCapacity(listener: () => void): () => void {
    this.#capacity.add(listener)
    return () => this.#capacity.delete(listener)
  }

  /** Opens room for one more job without any job ending, and says so. */
  openRoom(): void {
    this.extraRoom += 1
    for (const listener of this.#capacity) listener()
  }

  constructor(readonly index: number) {}

  state(): InstanceState {
    return this.#state
  }

  set(state: InstanceState): void {
    this.#state = state
    for (const listener of this.#listeners) listener({ state })
  }

  async start(): Promise<void> {}

  run(job: BackendJob): Promise<BackendResult> {
    return new Promise((resolve, reject) => {
      const entry = { job, resolve, reject }
      this.running.push(entry)
      job.signal.addEventListener('abort', () => reject(job.signal.reason), { once: true })
    })
  }

  hasJob(jobId: string): boolean {
    return this.running.some((entry) => entry.job.id === jobId)
  }

  restart(reason: string): void {
    this.restartReasons.push(reason)
  }

  async stop(): Promise<void> {}

  on<K extends keyof ComfyInstanceEvents>(event: K, listener: (payload: ComfyInstanceEvents[K]) => void): () => void {
    if (event !== 'state') return () => {}
    const typed = listener as (payload: ComfyInstanceEvents['state']) => void
    this.#listeners.add(typed)
    return () => this.#listeners.delete(typed)
  }

  /** Settles the oldest job it runs. */
  finish(outcome: BackendImage | Error = STUB_IMAGE): BackendJob {
    const entry = this.running.shift()!
    if (outcome instanceof Error) entry.reject(outcome)
    else entry.resolve({ images: [outcome] })
    return entry.job
  }
}

const makeJob = (id: string): BackendJob & { logs: string[]; controller: AbortController } => {
  const controller = new AbortController()
  const logs: string[] = []
  return {
    id,
    input: { ...DEFAULT_WARMUP, prompt: id },
    signal: controller.signal,
    reportProgress: () => {},
    log: (message) => logs.push(message),
    logs,
    controller,
  }
}

const flush = () => new Promise((resolve) => setImmediate(resolve))

const poolOf = (count: number) => {
  const instances = Array.from({ length: count }, (_, index) => new StubInstance(index))
  const metrics = new MetricsRegistry()
  return { instances, metrics, pool: createComfyPool({ instances, metrics, logger: pino({ level: 'silent' }) }) }
}

describe('the pool hands jobs out', () => {
  it('to the least busy ready instance, and queues the rest in order until one is free', async () => {
    const { pool, instances } = poolOf(2)
    const [first, second] = instances
    const runs = ['a', 'b', 'c', 'd'].map((id) => pool.run(makeJob(id)))
    await flush()
    expect(first!.running.map((entry) => entry.job.id)).toEqual(['a'])
    expect(second!.running.map((entry) => entry.job.id)).toEqual(['b'])

    second!.finish()
    await flush()
    expect(second!.running.map((entry) => entry.job.id)).toEqual(['c'])
    first!.finish()
    await flush()
    expect(first!.running.map((entry) => entry.job.id)).toEqual(['d'])
    first!.finish()
    second!.finish()
    await expect(Promise.all(runs)).resolves.toHaveLength(4)
  })

  it('hands a waiting job to an instance whose batch left the GPU, then tells the queue, with no job ending', async () => {
    const { pool, instances } = poolOf(1)
    const told: number[] = []
    pool.onCapacity(() => told.push(pool.concurrency))
    void pool.run(makeJob('a'))
    void pool.run(makeJob('b'))
    await flush()
    expect(instances[0]!.running.map((entry) => entry.job.id)).toEqual(['a'])
    instances[0]!.openRoom()
    await flush()
    expect(instances[0]!.running.map((entry) => entry.job.id)).toEqual(['a', 'b'])
    expect(told).toEqual([2])
  })

  it('skips instances that are not ready and counts the sum of the concurrency of all', async () => {
    const { pool, instances } = poolOf(3)
    instances[0]!.set('restarting')
    expect(pool.concurrency).toBe(3)
    expect(pool.state()).toBe('ready')
    void pool.run(makeJob('x'))
    await flush()
    expect(instances[0]!.running).toHaveLength(0)
    expect(instances[1]!.running).toHaveLength(1)
  })

  it('moves a job off an instance that went down, ahead of jobs that waited, with a line in its logs', async () => {
    const { pool, instances, metrics } = poolOf(2)
    const [first, second] = instances
    const lost = makeJob('lost')
    const running = pool.run(lost)
    const other = pool.run(makeJob('other'))
    const waiting = pool.run(makeJob('waiting'))
    await flush()

    first!.set('restarting')
    first!.finish(new InstanceLostError(0, 'ComfyUI exited on SIGKILL'))
    second!.finish()
    await flush()

    expect(second!.running.map((entry) => entry.job.id)).toEqual(['lost'])
    expect(lost.logs).toEqual([
      'ComfyUI instance 0 went down: ComfyUI exited on SIGKILL; running the job again on another instance',
    ])
    second!.finish()
    await flush()
    second!.finish()
    await expect(Promise.all([running, other, waiting])).resolves.toHaveLength(3)
    expect(metrics.render()).toContain('genimage_comfyui_instance_jobs_total{instance="0",gpu="0",outcome="moved"} 1')
  })

  it(`fails a job whose instance went down under it ${MAX_MOVES + 1} times, so one job cannot crash every instance forever`, async () => {
    const { pool, instances } = poolOf(1)
    const [only] = instances
    const result = pool.run(makeJob('poison'))
    for (let attempt = 0; attempt <= MAX_MOVES; attempt += 1) {
      await flush()
      only!.finish(new InstanceLostError(0, 'ComfyUI exited on SIGSEGV'))
    }
    const error = await result.catch((reason: unknown) => reason)
    expect(error).toBeInstanceOf(BackendError)
    expect(error).toMatchObject({ kind: 'execution_failed' })
    expect((error as Error).message).toMatch(/had already been moved 3 times: not running it again/)
  })

  it('passes other failures through without moving the job', async () => {
    const { pool, instances } = poolOf(2)
    const result = pool.run(makeJob('bad'))
    await flush()
    instances[0]!.finish(new BackendError('out_of_memory', 'CUDA out of memory'))
    await expect(result).rejects.toMatchObject({ kind: 'out_of_memory' })
    expect(instances[1]!.running).toHaveLength(0)
  })

  it('restarts the instance that runs a job that timed out, and only that one', async () => {
    const { pool, instances } = poolOf(2)
    void pool.run(makeJob('a')).catch(() => {})
    void pool.run(makeJob('hung')).catch(() => {})
    await flush()
    pool.onJobTimeout('hung')
    expect(instances[1]!.restartReasons).toEqual(['job hung timed out'])
    expect(instances[0]!.restartReasons).toEqual([])
  })

  it('is stopped once every instance failed for good: waiting and new jobs fail as unavailable (503)', async () => {
    const { pool, instances } = poolOf(2)
    for (const instance of instances) instance.set('restarting')
    expect(pool.state()).toBe('starting')
    const waiting = pool.run(makeJob('waits'))
    for (const instance of instances) instance.set('failed')
    expect(pool.state()).toBe('stopped')
    await expect(waiting).rejects.toMatchObject({ kind: 'unavailable' })
    await expect(pool.run(makeJob('late'))).rejects.toMatchObject({ kind: 'unavailable' })
  })

  it('reports restarting (jobs wait) rather than starting once an instance has been ready', () => {
    const { pool, instances } = poolOf(2)
    instances[0]!.set('ready')
    for (const instance of instances) instance.set('restarting')
    expect(pool.state()).toBe('restarting')
  })
})

/**
 * A pool of ComfyUI instances as one {@link Backend}: it takes as many jobs at once as its instances together, hands
 * each to the least busy ready instance, and runs a job again on another instance (same request id) when its own goes
 * down under it, so a crash costs the job queue a delay, not a failure, while another instance is up.
 * @module
 */
import {
  type Backend,
  BackendError,
  type BackendJob,
  type BackendResult,
  type BackendState,
  type Counter,
  type MetricsRegistry,
} from '@genimage/core'
import { type Logger, pino } from 'pino'
import { type ComfyInstance, InstanceLostError } from './instance.js'

/** Times one job is moved to another instance (its instance went down, or answered unavailable) before it fails. */
export const MAX_MOVES = 3

/** Options of {@link createComfyPool}. */
export interface ComfyPoolOptions {
  /** The instances, not started; at least one. */
  instances: readonly ComfyInstance[]
  /** Registry for the per-instance metrics (ready, restarts, jobs by outcome). @default none */
  metrics?: MetricsRegistry
  /** Logger. @default pino() */
  logger?: Logger
}

/** A pool of ComfyUI instances, used as one backend. */
export interface ComfyPool extends Backend {
  readonly name: 'comfyui'
  /** The sum of its instances' concurrency. */
  readonly concurrency: number
  /** Calls `listener` when an instance's concurrency rose without a job ending; returns the remover. */
  onCapacity(listener: () => void): () => void
  /** Its instances, in index order. */
  readonly instances: readonly ComfyInstance[]
  /** Starts every instance; resolves once each is ready or failed, rejects when none could start. */
  start(): Promise<void>
  /** A job timed out: restart the instance that runs it, in case ComfyUI hangs there. */
  onJobTimeout(jobId: string): void
  /** Rejects waiting jobs and stops every instance. */
  close(): Promise<void>
}

type Outcome = 'succeeded' | 'failed' | 'aborted' | 'moved'

interface Waiter {
  resolve(instance: ComfyInstance): void
  reject(error: unknown): void
  /** Removes this waiter's abort listener. */
  detach(): void
}

class Pool implements ComfyPool {
  readonly name = 'comfyui'
  readonly instances: readonly ComfyInstance[]
  readonly #logger: Logger
  /** Jobs handed to each instance and not yet released. */
  readonly #busy = new Map<ComfyInstance, number>()
  /** Jobs waiting for a free instance, oldest first (a moved job goes first). */
  readonly #waiting: Waiter[] = []
  readonly #jobs: Counter | undefined
  /** The queue's listeners for room that opens without a job ending. */
  readonly #capacityListeners = new Set<() => void>()
  #everReady = false
  #closed = false

  constructor(options: ComfyPoolOptions) {
    if (options.instances.length === 0) throw new Error('a ComfyUI pool needs at least one instance')
    this.instances = [...options.instances]
    this.#logger = options.logger ?? pino()
    for (const instance of this.instances) {
      this.#busy.set(instance, 0)
      instance.on('state', ({ state }) => {
        if (state === 'ready') this.#everReady = true
        this.#dispatch()
      })
      // A batch left an instance's GPU: jobs waiting here go first, then the queue may hand over more.
      instance.onCapacity(() => {
        this.#dispatch()
        for (const listener of this.#capacityListeners) listener()
      })
    }
    const metrics = options.metrics
    if (!metrics) return
    metrics.gauge('genimage_comfyui_restarts_total', 'Times ComfyUI was restarted, all instances together.', () =>
      this.instances.reduce((sum, instance) => sum + instance.restarts, 0),
    )
    const ready = metrics.gauge(
      'genimage_comfyui_instance_ready',
      'Whether each ComfyUI instance takes jobs (1) or not (0).',
    )
    const restarts = metrics.counter(
      'genimage_comfyui_instance_restarts_total',
      'ComfyUI processes started again, per instance.',
    )
    this.#jobs = metrics.counter(
      'genimage_comfyui_instance_jobs_total',
      'Jobs run on each ComfyUI instance by outcome (moved: its instance went down and the job ran again on another).',
    )
    for (const instance of this.instances) {
      const labels = instanceLabels(instance)
      ready.set(0, labels)
      restarts.inc(labels, 0)
      instance.on('state', ({ state }) => ready.set(state === 'ready' ? 1 : 0, labels))
      instance.on('restart', () => restarts.inc(labels))
    }
  }

  get concurrency(): number {
    return this.instances.reduce((sum, instance) => sum + instance.concurrency, 0)
  }

  onCapacity(listener: () => void): () => void {
    this.#capacityListeners.add(listener)
    return () => this.#capacityListeners.delete(listener)
  }

  state(): BackendState {
    const states = this.instances.map((instance) => instance.state())
    if (states.includes('ready')) return 'ready'
    if (states.every((state) => state === 'failed' || state === 'stopped')) return 'stopped'
    if (this.#everReady) return 'restarting'
    return states.includes('warming_up') ? 'warming_up' : 'starting'
  }

  async start(): Promise<void> {
    const results = await Promise.allSettled(this.instances.map((instance) => instance.start()))
    const failures = results.filter((result): result is PromiseRejectedResult => result.status === 'rejected')
    if (failures.length === this.instances.length) throw failures[0]!.reason
    if (failures.length > 0) {
      this.#logger.error(
        `${failures.length} of ${this.instances.length} ComfyUI instances did not start; running on the other ${this.instances.length - failures.length}`,
      )
    }
  }

  async run(job: BackendJob): Promise<BackendResult> {
    let moves = 0
    for (;;) {
      const instance = await this.#acquire(job, moves > 0)
      try {
        const result = await instance.run(job)
        this.#count(instance, 'succeeded')
        return result
      } catch (error) {
        if (job.signal.aborted) {
          this.#count(instance, 'aborted')
          throw error
        }
        const lost = error instanceof InstanceLostError
        const unavailable = error instanceof BackendError && error.kind === 'unavailable'
        if ((lost || unavailable) && moves < MAX_MOVES) {
          moves += 1
          this.#count(instance, 'moved')
          job.log(`${(error as Error).message}; running the job again on another instance`, 'WARN')
          continue
        }
        this.#count(instance, 'failed')
        if (lost) {
          throw new BackendError(
            'execution_failed',
            `${error.message}, and the job had already been moved ${MAX_MOVES} times: not running it again`,
            { cause: error },
          )
        }
        throw error
      } finally {
        this.#release(instance)
      }
    }
  }

  onJobTimeout(jobId: string): void {
    this.instances.find((instance) => instance.hasJob(jobId))?.restart(`job ${jobId} timed out`)
  }

  async close(): Promise<void> {
    this.#closed = true
    this.#rejectWaiting()
    await Promise.all(this.instances.map((instance) => instance.stop()))
  }

  /** A free instance for the job now, or once one is free (a moved job is served before the others). */
  #acquire(job: BackendJob, moved: boolean): Promise<ComfyInstance> {
    job.signal.throwIfAborted()
    if (this.#closed || this.state() === 'stopped') return Promise.reject(this.#unavailable())
    const free = moved || this.#waiting.length === 0 ? this.#free() : undefined
    if (free) {
      this.#take(free)
      return Promise.resolve(free)
    }
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        this.#waiting.splice(this.#waiting.indexOf(waiter), 1)
        reject(job.signal.reason)
      }
      const waiter: Waiter = {
        resolve,
        reject,
        detach: () => job.signal.removeEventListener('abort', onAbort),
      }
      job.signal.addEventListener('abort', onAbort, { once: true })
      if (moved) this.#waiting.unshift(waiter)
      else this.#waiting.push(waiter)
    })
  }

  /**
   * The ready instance with the fewest jobs and room for one more (lowest index first). An instance holding no job
   * has room for one even while its concurrency reads 0 (a cancelled prompt still leaving its GPU): nothing would
   * hand the waiting job over once that prompt ended, and the queues follow the same rule (`max(1, concurrency)`).
   */
  #free(): ComfyInstance | undefined {
    let best: ComfyInstance | undefined
    for (const instance of this.instances) {
      const busy = this.#busy.get(instance)!
      if (instance.state() !== 'ready' || busy >= Math.max(1, instance.concurrency)) continue
      if (!best || busy < this.#busy.get(best)!) best = instance
    }
    return best
  }

  #take(instance: ComfyInstance): void {
    this.#busy.set(instance, this.#busy.get(instance)! + 1)
  }

  #release(instance: ComfyInstance): void {
    this.#busy.set(instance, this.#busy.get(instance)! - 1)
    this.#dispatch()
  }

  /** Hands free instances to waiting jobs; rejects them all once no instance can come back. */
  #dispatch(): void {
    if (this.#closed || this.state() === 'stopped') {
      this.#rejectWaiting()
      return
    }
    while (this.#waiting.length > 0) {
      const free = this.#free()
      if (!free) return
      const waiter = this.#waiting.shift()!
      waiter.detach()
      this.#take(free)
      waiter.resolve(free)
    }
  }

  #rejectWaiting(): void {
    const error = this.#unavailable()
    for (const waiter of this.#waiting.splice(0)) {
      waiter.detach()
      waiter.reject(error)
    }
  }

  #unavailable(): BackendError {
    return new BackendError(
      'unavailable',
      this.#closed ? 'the ComfyUI pool is closed' : 'no ComfyUI instance is left: every one failed or was stopped',
    )
  }

  #count(instance: ComfyInstance, outcome: Outcome): void {
    this.#jobs?.inc({ ...instanceLabels(instance), outcome })
  }
}

function instanceLabels(instance: ComfyInstance): { instance: string; gpu: string } {
  return { instance: String(instance.index), gpu: instance.gpu ?? 'any' }
}

/**
 * Pools ComfyUI instances into one backend: `concurrency` is the sum of theirs, `state()` is `ready` while one of them
 * is, `run()` hands a job to the least busy ready instance and moves it to another when its instance goes down.
 * @example
 * const pool = createComfyPool({ instances: slots.map((slot) => createComfyInstance({ ...slot, supervisor })), metrics })
 * await pool.start()
 * const image = await pool.run(job)
 */
export function createComfyPool(options: ComfyPoolOptions): ComfyPool {
  return new Pool(options)
}

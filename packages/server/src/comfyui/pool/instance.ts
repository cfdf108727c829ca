/**
 * One ComfyUI instance: its supervised process, its bridge (a {@link ComfyBackend}) and the one restart policy that
 * joins them. Whatever finds ComfyUI broken (a crash or failed health check seen by the supervisor, a bridge that
 * reports it stuck or unreachable, a job that timed out on it) ends up in {@link ComfyInstance.restart} or the
 * supervisor's own restart, and the instance then gives up the jobs it was running so the pool can move them.
 * @module
 */
import type { BackendJob, BackendResult, BackendState } from '@genimage/core'
import { type Logger, pino } from 'pino'
import { Emitter } from '../../supervisor/emitter.js'
import { type ComfySupervisor, type ComfySupervisorOptions, createComfySupervisor } from '../../supervisor/index.js'
import { type ComfyBackend, type ComfyBackendOptions, createComfyBackend } from '../backend.js'

/** Where an instance is: a backend state, or `failed` once its supervisor gave up (or its first start failed). */
export type InstanceState = BackendState | 'failed'

/** Events a {@link ComfyInstance} emits, with their payloads. */
export interface ComfyInstanceEvents {
  /** {@link ComfyInstance.state} changed; `reason` says why it left `ready`. */
  state: { state: InstanceState; reason?: string }
  /** A new ComfyUI process was scheduled (crash, hang, failed health checks, or a restart asked for). */
  restart: { reason: string }
}

/** Options of {@link createComfyInstance}. */
export interface ComfyInstanceOptions {
  /** Position in its pool, from 0: the `instance` label of its logs and metrics. */
  index: number
  /** CUDA device the process sees, as `CUDA_VISIBLE_DEVICES`. @default inherited from `supervisor.env` */
  gpu?: string | undefined
  /** How its process is run; `env` gets {@link ComfyInstanceOptions.env} and `CUDA_VISIBLE_DEVICES` set to `gpu`. */
  supervisor: ComfySupervisorOptions
  /** Variables set for this instance alone, over `supervisor.env` (its thread budget: `InstanceSlot.env`). @default {} */
  env?: Readonly<Record<string, string>>
  /** Its bridge, less `baseUrl` (the supervisor's). @default {} */
  backend?: Omit<ComfyBackendOptions, 'baseUrl' | 'logger'>
  /** Logger; the instance's lines carry `instance` and `gpu`. @default pino() */
  logger?: Logger
}

/** One supervised ComfyUI and its bridge. */
export interface ComfyInstance {
  /** Position in its pool. */
  readonly index: number
  /** Its CUDA device, if pinned. */
  readonly gpu: string | undefined
  /** ComfyUI's base URL, e.g. `http://127.0.0.1:8189`. */
  readonly baseUrl: string
  /** Pid of its ComfyUI process, while one runs. */
  readonly pid: number | undefined
  /** Jobs it takes at once (its bridge keeps ComfyUI's own queue this deep). */
  readonly concurrency: number
  /** Calls `listener` when its concurrency rose without a job ending (a batch left the GPU); returns the remover. */
  onCapacity(listener: () => void): () => void
  /** New ComfyUI processes scheduled so far. */
  readonly restarts: number
  /** `ready` when it takes jobs; `restarting` while its process is replaced or its WebSocket reconnects. */
  state(): InstanceState
  /** Starts the process, checks the workflow, connects and warms up; rejects (and stays `failed`) if it cannot. */
  start(): Promise<void>
  /**
   * Runs one job. Rejects with {@link InstanceLostError} when the instance goes down under the job (the job was not
   * finished: run it elsewhere), with the job signal's reason when that aborts, else with a `BackendError`.
   */
  run(job: BackendJob): Promise<BackendResult>
  /** True while it runs the job with this request id. */
  hasJob(jobId: string): boolean
  /** Gives up its jobs and replaces its ComfyUI process (a job hung on it, or its bridge found it stuck). */
  restart(reason: string): void
  /** Stops its bridge and its process. Idempotent. */
  stop(): Promise<void>
  /** Subscribes to an event; returns an unsubscribe function. */
  on<K extends keyof ComfyInstanceEvents>(event: K, listener: (payload: ComfyInstanceEvents[K]) => void): () => void
}

/**
 * The instance a job was running on went down (crash, hang, restart) before the job finished; the job can run again
 * on another instance.
 * @example if (error instanceof InstanceLostError) retryElsewhere(job)
 */
export class InstanceLostError extends Error {
  override readonly name = 'InstanceLostError'
  /** The instance that went down. */
  readonly instance: number

  constructor(instance: number, reason: string) {
    super(`ComfyUI instance ${instance} went down: ${reason}`)
    this.instance = instance
  }
}

class Instance extends Emitter<ComfyInstanceEvents> implements ComfyInstance {
  readonly index: number
  readonly gpu: string | undefined
  readonly #supervisor: ComfySupervisor
  readonly #backend: ComfyBackend
  readonly #logger: Logger
  /** Own lifecycle; `state()` also folds in the bridge's connection once started. */
  #state: InstanceState = 'starting'
  #started = false
  #stopping: Promise<void> | undefined
  /** The attempts running here, by their abort controller, with their job ids. */
  readonly #attempts = new Map<AbortController, string>()

  constructor(options: ComfyInstanceOptions) {
    super()
    this.index = options.index
    this.gpu = options.gpu
    this.#logger = (options.logger ?? pino()).child({
      instance: options.index,
      ...(options.gpu !== undefined ? { gpu: options.gpu } : {}),
    })
    const env = { ...(options.supervisor.env ?? process.env), ...options.env }
    if (options.gpu !== undefined) env['CUDA_VISIBLE_DEVICES'] = options.gpu
    this.#supervisor = createComfySupervisor({ ...options.supervisor, env, logger: this.#logger })
    this.#backend = createComfyBackend({
      ...options.backend,
      baseUrl: this.#supervisor.baseUrl,
      // The supervisor waits for readiness; the bridge asks once (no second polling loop).
      startTimeoutMs: 0,
      logger: this.#logger,
    })
    this.#supervisor.on('exit', ({ code, signal, expected }) => {
      if (!expected) this.#down(signal ? `ComfyUI exited on ${signal}` : `ComfyUI exited with code ${code}`)
    })
    this.#supervisor.on('unhealthy', ({ reason }) => this.#down(reason))
    this.#supervisor.on('restarting', ({ reason }) => {
      this.#down(reason)
      this.emit('restart', { reason })
    })
    this.#supervisor.on('ready', () => this.#onProcessReady())
    this.#supervisor.on('error', ({ error, fatal }) => {
      if (fatal) this.#fail(error)
    })
    this.#backend.onUnhealthy((reason) => this.restart(reason))
    this.#backend.client.onConnectionChange(() => {
      if (this.#state === 'ready') this.emit('state', { state: this.state() })
    })
  }

  get baseUrl(): string {
    return this.#supervisor.baseUrl
  }

  get pid(): number | undefined {
    return this.#supervisor.pid
  }

  get concurrency(): number {
    return this.#backend.concurrency
  }

  onCapacity(listener: () => void): () => void {
    return this.#backend.onCapacity(listener)
  }

  get restarts(): number {
    return this.#supervisor.restarts
  }

  state(): InstanceState {
    if (this.#state !== 'ready') return this.#state
    return this.#backend.state() === 'ready' ? 'ready' : 'restarting'
  }

  async start(): Promise<void> {
    this.#setState('starting')
    try {
      await this.#supervisor.start()
      this.#setState('warming_up')
      await this.#backend.start()
    } catch (error) {
      if (!this.#stopping) {
        this.#logger.error({ err: error }, `ComfyUI instance ${this.index} did not start: ${(error as Error).message}`)
        this.#setState('failed', (error as Error).message)
        await this.#backend.close()
        await this.#supervisor.stop()
      }
      throw error
    }
    this.#started = true
    // A crash during the warm-up already moved the state on; the supervisor's next `ready` brings it back.
    if (this.#state === 'warming_up') this.#setState('ready')
  }

  async run(job: BackendJob): Promise<BackendResult> {
    job.signal.throwIfAborted()
    const attempt = new AbortController()
    const onAbort = (): void => attempt.abort(job.signal.reason)
    job.signal.addEventListener('abort', onAbort, { once: true })
    this.#attempts.set(attempt, job.id)
    try {
      return await this.#backend.run({
        id: job.id,
        input: job.input,
        ...(job.inputImage ? { inputImage: job.inputImage } : {}),
        signal: attempt.signal,
        reportProgress: (step, totalSteps) => job.reportProgress(step, totalSteps),
        log: (message, level) => job.log(message, level),
      })
    } catch (error) {
      const reason: unknown = attempt.signal.reason
      if (reason instanceof InstanceLostError && !job.signal.aborted) throw reason
      throw error
    } finally {
      job.signal.removeEventListener('abort', onAbort)
      this.#attempts.delete(attempt)
    }
  }

  hasJob(jobId: string): boolean {
    for (const id of this.#attempts.values()) if (id === jobId) return true
    return false
  }

  restart(reason: string): void {
    if (this.#state === 'failed' || this.#stopping) return
    this.#logger.warn({ reason }, `restarting ComfyUI instance ${this.index}: ${reason}`)
    this.#down(reason)
    // Failures are the supervisor's to log; a stop() during the restart rejects it.
    this.#supervisor.restart(reason).catch(() => {})
  }

  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      this.#setState('stopped')
      await this.#backend.close()
      await this.#supervisor.stop()
    })()
    return this.#stopping
  }

  /** The process is gone or being replaced: report it and hand back every job running here. */
  #down(reason: string): void {
    if (!this.#started || this.#stopping || this.#state === 'failed') return
    if (this.#state !== 'restarting') {
      this.#backend.markRestarting(reason)
      this.#setState('restarting', reason)
    }
    this.#abandonJobs(reason)
  }

  /** A fresh process answers: reconnect the bridge and warm up, then take jobs again. */
  #onProcessReady(): void {
    if (!this.#started || this.#stopping || this.#state === 'failed') return
    this.#setState('warming_up')
    this.#backend.markRestarted().then(
      () => {
        if (this.#state === 'warming_up' && this.#supervisor.state === 'ready') this.#setState('ready')
      },
      (error: Error) => this.#logger.error({ err: error }, 'ComfyUI came back but the bridge could not resume'),
    )
  }

  #fail(error: Error): void {
    if (this.#stopping) return
    this.#setState('failed', error.message)
    this.#abandonJobs(error.message)
  }

  #abandonJobs(reason: string): void {
    for (const attempt of [...this.#attempts.keys()]) attempt.abort(new InstanceLostError(this.index, reason))
  }

  #setState(state: InstanceState, reason?: string): void {
    if (this.#state === state) return
    this.#state = state
    this.emit('state', { state, ...(reason !== undefined ? { reason } : {}) })
  }
}

/**
 * Creates one ComfyUI instance: a supervised process pinned to `gpu` on its own port, and its bridge.
 * @example
 * const instance = createComfyInstance({ index: 0, gpu: '0', supervisor: { cwd: '/opt/ComfyUI', port: 8188 }, logger })
 * await instance.start()
 * const image = await instance.run(job)
 */
export function createComfyInstance(options: ComfyInstanceOptions): ComfyInstance {
  return new Instance(options)
}

import { type ChildProcess, spawn } from 'node:child_process'
import { type Logger, pino } from 'pino'
import { buildComfyArgs } from './args.js'
import { type BackoffOptions, backoffDelay, DEFAULT_BACKOFF } from './backoff.js'
import { Emitter } from './emitter.js'
import { forwardLines } from './lines.js'
import { probeHttp } from './probe.js'
import { hasExited, signalGroup, terminateGroup } from './process-group.js'

/** Where the supervised process is in its life. */
export type SupervisorState = 'idle' | 'starting' | 'ready' | 'restarting' | 'stopping' | 'stopped' | 'failed'

/** Events a {@link ComfySupervisor} emits, with their payloads. */
export interface ComfySupervisorEvents {
  /** A process was spawned; `attempt` is 0 for the first start, else the consecutive failure count. */
  starting: { pid: number; attempt: number }
  /** The readiness URL answered 2xx. */
  ready: { pid: number; bootMs: number }
  /** The process ran long enough after `ready` for the backoff to reset. */
  stable: { pid: number }
  /** The process exited; `expected` when we stopped or recycled it. */
  exit: { pid: number; code: number | null; signal: NodeJS.Signals | null; expected: boolean }
  /** Readiness timed out or health checks failed `failures` times in a row; a restart follows. */
  unhealthy: { pid: number; reason: string; failures: number }
  /** A new process will be spawned after `delayMs`. */
  restarting: { attempt: number; delayMs: number; reason: string }
  /** Something went wrong; `fatal` means the supervisor gave up (bad command, too many failures) and stays `failed`. */
  error: { error: Error; fatal: boolean }
  /** `stop()` finished: no process is left. */
  stopped: Record<string, never>
}

/** Options of {@link createComfySupervisor}. */
export interface ComfySupervisorOptions {
  /** Interpreter to run. @default 'python3' */
  command?: string
  /** Full argv after the command; when set, `entry`, `host`, `port` and `extraArgs` are not used to build it. */
  args?: readonly string[]
  /** Script run by the interpreter. @default 'main.py' */
  entry?: string
  /** Flags appended to the built argv (`COMFYUI_ARGS`). @default [] */
  extraArgs?: readonly string[]
  /** The ComfyUI directory (working directory of the process). */
  cwd: string
  /**
   * Environment of the process; `PYTHONUNBUFFERED=1` is added so log lines arrive as they are written, and
   * `TQDM_DISABLE=1` unless set (progress comes over the WebSocket; tqdm bars would flood the log).
   * @default process.env
   */
  env?: NodeJS.ProcessEnv
  /** Interface ComfyUI listens on. @default '127.0.0.1' */
  host?: string
  /** Port ComfyUI listens on. @default 8188 */
  port?: number
  /** URL that answers 2xx once ComfyUI serves requests. @default `http://<host>:<port>/system_stats` */
  readinessUrl?: string
  /** How long a fresh process may take to answer the readiness URL before it is killed and restarted. @default 300000 */
  readinessTimeoutMs?: number
  /** Pause between readiness polls while booting. @default 250 */
  readinessIntervalMs?: number
  /** Pause between health checks once ready. @default 5000 */
  healthIntervalMs?: number
  /** How long one health check may take. @default 3000 */
  healthTimeoutMs?: number
  /** Consecutive failed health checks that make the process unhealthy. @default 3 */
  unhealthyAfter?: number
  /** Time between SIGTERM and SIGKILL when stopping or recycling the process. @default 10000 */
  killGraceMs?: number
  /** Time ready after which the backoff resets to its first step. @default 60000 */
  stableAfterMs?: number
  /** Restart delays. @default DEFAULT_BACKOFF (1 s, ×2, ≤ 30 s) */
  backoff?: Partial<BackoffOptions>
  /** Consecutive failed starts or crashes (without a stable period between) before giving up. @default 10 */
  maxConsecutiveFailures?: number
  /** Logger; ComfyUI's own lines are logged through `logger.child({ source: 'comfyui' })`. @default pino() */
  logger?: Logger
  /** `fetch` used for probes. @default globalThis.fetch */
  fetch?: typeof fetch
}

/** A supervised ComfyUI process. */
export interface ComfySupervisor {
  /** Current state. */
  readonly state: SupervisorState
  /** Pid of the running process, if any. */
  readonly pid: number | undefined
  /** Restarts scheduled so far (crashes, unhealthy, manual), for metrics. */
  readonly restarts: number
  /** ComfyUI's base URL, e.g. `http://127.0.0.1:8188`. */
  readonly baseUrl: string
  /** Spawns the process; resolves when it is ready, rejects if the supervisor gives up or is stopped first. */
  start(): Promise<void>
  /** Resolves when the process is ready (now or after a restart); rejects once `failed` or `stopped`. */
  waitReady(): Promise<void>
  /** Kills the process (SIGTERM, grace, SIGKILL) and starts a new one; resolves when that one is ready. */
  restart(reason: string): Promise<void>
  /** Stops supervising and kills the process group; resolves when no process is left. Idempotent. */
  stop(): Promise<void>
  /** Subscribes to an event; returns an unsubscribe function. */
  on<K extends keyof ComfySupervisorEvents>(event: K, listener: (payload: ComfySupervisorEvents[K]) => void): () => void
  /** Subscribes to the next occurrence of an event. */
  once<K extends keyof ComfySupervisorEvents>(
    event: K,
    listener: (payload: ComfySupervisorEvents[K]) => void,
  ): () => void
}

interface Waiter {
  resolve(): void
  reject(error: Error): void
}

class Supervisor extends Emitter<ComfySupervisorEvents> implements ComfySupervisor {
  readonly baseUrl: string
  readonly #command: string
  readonly #args: string[]
  readonly #cwd: string
  readonly #env: NodeJS.ProcessEnv
  readonly #readinessUrl: string
  readonly #readinessTimeoutMs: number
  readonly #readinessIntervalMs: number
  readonly #healthIntervalMs: number
  readonly #healthTimeoutMs: number
  readonly #unhealthyAfter: number
  readonly #killGraceMs: number
  readonly #stableAfterMs: number
  readonly #backoff: BackoffOptions
  readonly #maxFailures: number
  readonly #logger: Logger
  readonly #comfyLogger: Logger
  readonly #fetch: typeof fetch

  #state: SupervisorState = 'idle'
  #child: ChildProcess | undefined
  /** Children we are terminating on purpose; their exit does not schedule a restart. */
  readonly #recycling = new WeakSet<ChildProcess>()
  #failures = 0
  #restarts = 0
  #fatal: Error | undefined
  #waiters: Waiter[] = []
  #timers = new Set<NodeJS.Timeout>()
  #stopping: Promise<void> | undefined
  #recycle: Promise<void> | undefined
  readonly #onProcessExit = () => {
    if (this.#child?.pid !== undefined && !hasExited(this.#child)) signalGroup(this.#child.pid, 'SIGKILL')
  }

  constructor(options: ComfySupervisorOptions) {
    super()
    const host = options.host ?? '127.0.0.1'
    const port = options.port ?? 8188
    this.baseUrl = `http://${host.includes(':') ? `[${host}]` : host}:${port}`
    this.#command = options.command ?? 'python3'
    this.#args = options.args
      ? [...options.args]
      : buildComfyArgs({ entry: options.entry, host, port, extraArgs: options.extraArgs })
    this.#cwd = options.cwd
    this.#env = { TQDM_DISABLE: '1', ...(options.env ?? process.env), PYTHONUNBUFFERED: '1' }
    this.#readinessUrl = options.readinessUrl ?? `${this.baseUrl}/system_stats`
    this.#readinessTimeoutMs = options.readinessTimeoutMs ?? 300_000
    this.#readinessIntervalMs = options.readinessIntervalMs ?? 250
    this.#healthIntervalMs = options.healthIntervalMs ?? 5000
    this.#healthTimeoutMs = options.healthTimeoutMs ?? 3000
    this.#unhealthyAfter = options.unhealthyAfter ?? 3
    this.#killGraceMs = options.killGraceMs ?? 10_000
    this.#stableAfterMs = options.stableAfterMs ?? 60_000
    this.#backoff = { ...DEFAULT_BACKOFF, ...options.backoff }
    this.#maxFailures = options.maxConsecutiveFailures ?? 10
    this.#logger = options.logger ?? pino()
    this.#comfyLogger = this.#logger.child({ source: 'comfyui' })
    this.#fetch = options.fetch ?? fetch
  }

  get state(): SupervisorState {
    return this.#state
  }

  get pid(): number | undefined {
    return this.#child && !hasExited(this.#child) ? this.#child.pid : undefined
  }

  get restarts(): number {
    return this.#restarts
  }

  start(): Promise<void> {
    if (this.#state === 'idle') {
      process.on('exit', this.#onProcessExit)
      this.#spawn()
    }
    return this.waitReady()
  }

  waitReady(): Promise<void> {
    if (this.#state === 'ready') return Promise.resolve()
    if (this.#state === 'failed') return Promise.reject(this.#fatal)
    if (this.#state === 'stopping' || this.#state === 'stopped') return Promise.reject(stoppedError())
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }))
  }

  async restart(reason: string): Promise<void> {
    if (this.#state === 'idle') return this.start()
    if (this.#state === 'ready') {
      this.#logger.warn({ event: 'restart', reason, pid: this.pid }, `restarting ComfyUI: ${reason}`)
      void this.#recycleChild(reason)
    }
    return this.waitReady()
  }

  stop(): Promise<void> {
    this.#stopping ??= this.#stop()
    return this.#stopping
  }

  async #stop(): Promise<void> {
    this.#state = 'stopping'
    this.#clearTimers()
    this.#settle(stoppedError())
    const child = this.#child
    if (child) {
      this.#recycling.add(child)
      await terminateGroup(child, this.#killGraceMs)
    }
    await this.#recycle
    process.off('exit', this.#onProcessExit)
    this.#state = 'stopped'
    this.#logger.info({ event: 'stopped' }, 'ComfyUI stopped')
    this.emit('stopped', {})
  }

  #spawn(): void {
    const attempt = this.#failures
    this.#state = 'starting'
    const startedAt = Date.now()
    let child: ChildProcess
    try {
      child = spawn(this.#command, this.#args, {
        cwd: this.#cwd,
        env: this.#env,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      })
    } catch (error) {
      this.#fail(spawnError(this.#command, this.#cwd, error))
      return
    }
    this.#child = child
    child.on('error', (error) => {
      if (child.pid === undefined) this.#fail(spawnError(this.#command, this.#cwd, error))
      else this.emit('error', { error, fatal: false })
    })
    if (child.pid === undefined) return
    const pid = child.pid
    if (child.stdout) forwardLines(child.stdout, (line) => this.#comfyLogger.info({ stream: 'stdout' }, line))
    if (child.stderr) forwardLines(child.stderr, (line) => this.#comfyLogger.warn({ stream: 'stderr' }, line))
    child.once('exit', (code, signal) => this.#onExit(child, pid, code, signal))
    this.#logger.info({ event: 'starting', pid, attempt, command: this.#command, args: this.#args }, 'starting ComfyUI')
    this.emit('starting', { pid, attempt })
    void this.#awaitReadiness(child, pid, startedAt)
  }

  async #awaitReadiness(child: ChildProcess, pid: number, startedAt: number): Promise<void> {
    const deadline = startedAt + this.#readinessTimeoutMs
    while (this.#isCurrent(child)) {
      const remaining = deadline - Date.now()
      if (remaining <= 0) {
        const reason = `not ready within ${this.#readinessTimeoutMs} ms`
        this.#markUnhealthy(child, pid, reason, 0)
        return
      }
      const result = await probeHttp(this.#readinessUrl, Math.min(remaining, this.#healthTimeoutMs), this.#fetch)
      if (!this.#isCurrent(child)) return
      if (result.ok) {
        this.#onReady(child, pid, Date.now() - startedAt)
        return
      }
      await this.#sleep(Math.min(this.#readinessIntervalMs, Math.max(0, deadline - Date.now())))
    }
  }

  #onReady(child: ChildProcess, pid: number, bootMs: number): void {
    this.#state = 'ready'
    this.#logger.info({ event: 'ready', pid, bootMs }, `ComfyUI ready in ${bootMs} ms`)
    this.emit('ready', { pid, bootMs })
    const waiters = this.#waiters
    this.#waiters = []
    for (const waiter of waiters) waiter.resolve()
    this.#later(this.#stableAfterMs, () => {
      if (!this.#isCurrent(child)) return
      this.#failures = 0
      this.emit('stable', { pid })
    })
    void this.#watchHealth(child, pid)
  }

  async #watchHealth(child: ChildProcess, pid: number): Promise<void> {
    let failures = 0
    while (this.#isCurrent(child) && this.#state === 'ready') {
      await this.#sleep(this.#healthIntervalMs)
      if (!this.#isCurrent(child) || this.#state !== 'ready') return
      const result = await probeHttp(this.#readinessUrl, this.#healthTimeoutMs, this.#fetch)
      if (!this.#isCurrent(child) || this.#state !== 'ready') return
      if (result.ok) {
        failures = 0
        continue
      }
      failures += 1
      this.#logger.warn({ event: 'health', pid, failures, reason: result.reason }, 'ComfyUI health check failed')
      if (failures >= this.#unhealthyAfter) {
        this.#markUnhealthy(child, pid, `health check failed ${failures} times: ${result.reason}`, failures)
        return
      }
    }
  }

  #markUnhealthy(child: ChildProcess, pid: number, reason: string, failures: number): void {
    this.#logger.error({ event: 'unhealthy', pid, reason }, `ComfyUI unhealthy: ${reason}`)
    this.emit('unhealthy', { pid, reason, failures })
    if (child === this.#child) void this.#recycleChild(reason)
  }

  /** Kills the current child on purpose, then schedules the next one. */
  #recycleChild(reason: string): Promise<void> {
    const child = this.#child
    if (!child || this.#recycling.has(child)) return this.#recycle ?? Promise.resolve()
    this.#recycling.add(child)
    this.#state = 'restarting'
    this.#recycle = terminateGroup(child, this.#killGraceMs).then(() => {
      this.#recycle = undefined
      if (this.#state === 'restarting') this.#scheduleRestart(reason)
    })
    return this.#recycle
  }

  #onExit(child: ChildProcess, pid: number, code: number | null, signal: NodeJS.Signals | null): void {
    const expected = this.#recycling.has(child)
    const log = expected ? this.#logger.info.bind(this.#logger) : this.#logger.error.bind(this.#logger)
    log({ event: 'exit', pid, code, signal, expected }, `ComfyUI exited (code ${code}, signal ${signal})`)
    this.emit('exit', { pid, code, signal, expected })
    if (expected || child !== this.#child) return
    signalGroup(pid, 'SIGKILL')
    if (this.#state === 'starting' || this.#state === 'ready') this.#scheduleRestart(exitReason(code, signal))
  }

  #scheduleRestart(reason: string): void {
    this.#failures += 1
    if (this.#failures > this.#maxFailures) {
      this.#fail(new Error(`ComfyUI failed ${this.#maxFailures} times in a row (last: ${reason}); giving up`))
      return
    }
    const attempt = this.#failures
    const delayMs = backoffDelay(attempt, this.#backoff)
    this.#restarts += 1
    this.#state = 'restarting'
    this.#logger.warn({ event: 'restarting', attempt, delayMs, reason }, `restarting ComfyUI in ${delayMs} ms`)
    this.emit('restarting', { attempt, delayMs, reason })
    this.#later(delayMs, () => {
      if (this.#state === 'restarting') this.#spawn()
    })
  }

  #fail(error: Error): void {
    if (this.#state === 'failed' || this.#state === 'stopping' || this.#state === 'stopped') return
    this.#state = 'failed'
    this.#fatal = error
    this.#clearTimers()
    this.#logger.error({ event: 'failed', err: error }, error.message)
    this.emit('error', { error, fatal: true })
    this.#settle(error)
  }

  #settle(error: Error): void {
    const waiters = this.#waiters
    this.#waiters = []
    for (const waiter of waiters) waiter.reject(error)
  }

  #isCurrent(child: ChildProcess): boolean {
    return child === this.#child && !hasExited(child) && !this.#recycling.has(child)
  }

  #later(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer)
      fn()
    }, ms)
    this.#timers.add(timer)
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.#later(ms, resolve))
  }

  #clearTimers(): void {
    for (const timer of this.#timers) clearTimeout(timer)
    this.#timers.clear()
  }
}

function stoppedError(): Error {
  return new Error('ComfyUI supervisor stopped')
}

function exitReason(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `exited on ${signal}` : `exited with code ${code}`
}

function spawnError(command: string, cwd: string, cause: unknown): Error {
  const detail = (cause as Error).message
  return new Error(
    `could not start ComfyUI: ${detail} (command "${command}", cwd "${cwd}"); check that the command is installed and the directory exists`,
    { cause },
  )
}

/**
 * Runs ComfyUI as a supervised child process: own process group, logs forwarded to pino, readiness and health
 * probes on `/system_stats`, restarts with exponential backoff, clean stop that leaves no process behind.
 * @example
 * const comfy = createComfySupervisor({ cwd: '/opt/ComfyUI', extraArgs: ['--highvram'], logger })
 * comfy.on('restarting', ({ attempt, delayMs }) => metrics.restarts.inc())
 * await comfy.start()
 */
export function createComfySupervisor(options: ComfySupervisorOptions): ComfySupervisor {
  return new Supervisor(options)
}

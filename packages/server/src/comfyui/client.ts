/**
 * The bridge to one ComfyUI: HTTP calls, one WebSocket with a fixed client id, events routed to prompts by
 * `prompt_id` (binary frames without ids go to the prompt that is executing), reconciliation after reconnects and
 * silences, cancel (dequeue or targeted interrupt), history cleanup, and an "unhealthy" signal for the supervisor.
 * @module
 */
import { randomUUID } from 'node:crypto'
import { ComfyUnavailableError } from './errors.js'
import { ComfyHttp } from './http.js'
import { type ComfyLogger, silentLogger } from './logger.js'
import { type ComfyRunResult, PromptRun, type RunHost, type RunOptions, type RunPhase } from './prompt-run.js'
import type { BinaryFrame, ComfyGraph, ComfyMessage } from './protocol.js'
import { ComfySocket } from './socket.js'

/** Options of {@link ComfyClient}. */
export interface ComfyClientOptions {
  /** ComfyUI's base URL. @example 'http://127.0.0.1:8188' */
  baseUrl: string
  /** The WebSocket `clientId`, fixed for the life of the client. @default a random UUID */
  clientId?: string
  /** Milliseconds one HTTP call may take. @default 10000 */
  requestTimeoutMs?: number
  /** First WebSocket reconnect delay. @default 100 */
  reconnectInitialMs?: number
  /** Longest WebSocket reconnect delay. @default 5000 */
  reconnectMaxMs?: number
  /** WebSocket ping period. @default 10000 */
  pingIntervalMs?: number
  /** Announce `supports_preview_metadata`, so SaveImageWebsocket frames carry prompt and node ids. @default true */
  featureFlags?: boolean
  /** A prompt silent this long is checked through `/queue` and `/history` (the safety net). @default 2000 */
  reconcileIntervalMs?: number
  /** How long prompts wait for a vanished ComfyUI before failing as unavailable (paused while restarting). @default 120000 */
  outageTimeoutMs?: number
  /** How long a cancelled prompt may keep running before ComfyUI is reported unhealthy. @default 10000 */
  interruptGraceMs?: number
  /** Submissions of one prompt (the first and resubmissions) before it fails as unavailable. @default 4 */
  maxAttempts?: number
  /** Logger. @default silent */
  logger?: ComfyLogger
  /** `fetch` for the HTTP calls. @default globalThis.fetch */
  fetch?: typeof fetch
}

interface Orphan {
  timer: NodeJS.Timeout
}

/** A connection to one ComfyUI. */
export class ComfyClient {
  /** The HTTP side. */
  readonly http: ComfyHttp
  /** The WebSocket client id. */
  readonly clientId: string
  /** `queue_remaining` of the last `status` message. */
  queueRemaining = 0

  private readonly socket: ComfySocket
  private readonly logger: ComfyLogger
  private readonly runsById = new Map<string, PromptRun>()
  private readonly active = new Set<PromptRun>()
  private readonly orphans = new Map<string, Orphan>()
  private readonly unhealthyListeners = new Set<(reason: string) => void>()
  private readonly connectionListeners = new Set<(connected: boolean) => void>()
  private readonly settings: Required<
    Pick<ComfyClientOptions, 'reconcileIntervalMs' | 'outageTimeoutMs' | 'interruptGraceMs' | 'maxAttempts'>
  >
  private executing: { promptId?: string; nodeId?: string } = {}
  private disconnectedSince: number | undefined = Date.now()
  private restarting = false
  private closed = false
  private watchdog: NodeJS.Timeout | undefined
  private readonly host: RunHost

  constructor(options: ComfyClientOptions) {
    this.clientId = options.clientId ?? randomUUID()
    this.logger = options.logger ?? silentLogger
    this.settings = {
      reconcileIntervalMs: options.reconcileIntervalMs ?? 2000,
      outageTimeoutMs: options.outageTimeoutMs ?? 120_000,
      interruptGraceMs: options.interruptGraceMs ?? 10_000,
      maxAttempts: options.maxAttempts ?? 4,
    }
    this.http = new ComfyHttp({
      baseUrl: options.baseUrl,
      ...(options.requestTimeoutMs !== undefined ? { timeoutMs: options.requestTimeoutMs } : {}),
      ...(options.fetch ? { fetch: options.fetch } : {}),
    })
    this.socket = new ComfySocket({
      baseUrl: options.baseUrl,
      clientId: this.clientId,
      ...(options.reconnectInitialMs !== undefined ? { reconnectInitialMs: options.reconnectInitialMs } : {}),
      ...(options.reconnectMaxMs !== undefined ? { reconnectMaxMs: options.reconnectMaxMs } : {}),
      ...(options.pingIntervalMs !== undefined ? { pingIntervalMs: options.pingIntervalMs } : {}),
      ...(options.featureFlags !== undefined ? { featureFlags: options.featureFlags } : {}),
      onOpen: (reconnected) => this.onOpen(reconnected),
      onClose: (reason) => this.onClose(reason),
      onMessage: (message) => this.onMessage(message),
      onFrame: (frame) => this.onFrame(frame),
    })
    this.host = {
      http: this.http,
      clientId: this.clientId,
      maxAttempts: this.settings.maxAttempts,
      isSocketOpen: () => this.connected,
      whenOpen: (signal) => this.socket.whenOpen(signal),
      register: (id, run) => this.runsById.set(id, run),
      unregister: (id) => this.runsById.delete(id),
      cleanup: (ids) => this.deleteHistory(ids),
      abandon: (id, phase, others) => void this.abandon(id, phase, others),
      socketLooksDeaf: (id) => {
        // ComfyUI finished a prompt we heard nothing of, on an open socket: it no longer routes to us (a late
        // close of an older socket under our client id removed the new one). Reconnect; reconciliation follows.
        this.logger.warn(`comfyui: heard nothing of finished prompt ${id}; the WebSocket looks deaf, reconnecting`)
        this.socket.reconnectNow()
      },
      log: (message, level) => this.logger[level](`comfyui: ${message}`),
    }
  }

  /** True while the WebSocket is open. */
  get connected(): boolean {
    return this.socket.state === 'open'
  }

  /** Prompts in flight (submitted or waiting to be). */
  get inFlight(): number {
    return this.active.size
  }

  /**
   * Opens the WebSocket and resolves once it is open (it keeps reconnecting on its own afterwards).
   * @example
   * await client.connect(AbortSignal.timeout(30_000))
   */
  async connect(signal?: AbortSignal): Promise<void> {
    this.socket.open()
    this.watchdog ??= setInterval(() => this.tick(), Math.max(50, this.settings.reconcileIntervalMs / 2))
    this.watchdog.unref()
    await this.socket.whenOpen(signal)
  }

  /**
   * Runs a graph to its image. Rejects with a Comfy*Error, or with the abort reason when `signal` aborts.
   * @example
   * const { bytes, contentType } = await client.run(graph, { outputNode: '27', onProgress: (v, m) => log(v, m) })
   */
  run(graph: ComfyGraph, options: RunOptions): Promise<ComfyRunResult> {
    if (this.closed) return Promise.reject(new ComfyUnavailableError('ComfyUI client is closed'))
    const run = new PromptRun(this.host, graph, options)
    this.active.add(run)
    void run.start()
    return run.promise.finally(() => this.active.delete(run))
  }

  /**
   * Calls `listener` when ComfyUI looks stuck or gone (a cancelled prompt ignores the interrupt, or ComfyUI stayed
   * unreachable); the supervisor restarts it. Returns an unsubscribe function.
   */
  onUnhealthy(listener: (reason: string) => void): () => void {
    this.unhealthyListeners.add(listener)
    return () => this.unhealthyListeners.delete(listener)
  }

  /** Calls `listener` when the WebSocket opens (true) or drops (false). Returns an unsubscribe function. */
  onConnectionChange(listener: (connected: boolean) => void): () => void {
    this.connectionListeners.add(listener)
    return () => this.connectionListeners.delete(listener)
  }

  /** ComfyUI is being restarted: prompts keep waiting (the outage timeout is paused). */
  markRestarting(): void {
    this.restarting = true
  }

  /**
   * ComfyUI was restarted: reconnect now; on reconnection every in-flight prompt is looked up and, being gone with
   * the old process, resubmitted. Resolves once the socket is open again.
   */
  async markRestarted(signal?: AbortSignal): Promise<void> {
    this.restarting = false
    // A socket that reconnected on its own already reconciled; only a closed one needs the push.
    if (!this.connected) this.socket.reconnectNow()
    await this.socket.whenOpen(signal)
  }

  /** Rejects every prompt in flight and closes the socket. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    clearInterval(this.watchdog)
    for (const orphan of this.orphans.values()) clearTimeout(orphan.timer)
    this.orphans.clear()
    for (const run of this.active) run.fail(new ComfyUnavailableError('ComfyUI client closed'))
    await this.socket.close()
  }

  private onOpen(reconnected: boolean): void {
    this.disconnectedSince = undefined
    this.executing = {}
    this.logger.info(`comfyui: WebSocket ${reconnected ? 're' : ''}connected as ${this.clientId}`)
    for (const listener of this.connectionListeners) listener(true)
    if (!reconnected) return
    // Anything sent while we were away is lost: ask ComfyUI about every prompt in flight.
    for (const run of this.active) void run.reconcile('reconnect')
  }

  private onClose(reason: string): void {
    this.disconnectedSince = Date.now()
    this.executing = {}
    this.logger.warn(`comfyui: WebSocket ${reason}; reconnecting`)
    for (const listener of this.connectionListeners) listener(false)
  }

  private onMessage(message: ComfyMessage): void {
    if (message.type === 'unknown') return
    if (message.type === 'status') {
      this.queueRemaining = message.data.status?.exec_info?.queue_remaining ?? this.queueRemaining
      return
    }
    const promptId = (message.data as { prompt_id?: string }).prompt_id
    if (message.type === 'execution_start') this.executing = { ...(promptId ? { promptId } : {}) }
    if (message.type === 'executing') {
      this.executing =
        message.data.node === null ? {} : { ...(promptId ? { promptId } : {}), nodeId: message.data.node }
    }
    if (!promptId) return
    const run = this.runsById.get(promptId)
    if (run) run.onMessage(message)
    else if (message.type === 'executing' && message.data.node === null && this.orphans.has(promptId)) {
      this.settleOrphan(promptId)
    }
  }

  private onFrame(frame: BinaryFrame): void {
    if (frame.kind !== 'image') return
    // Type-1 frames carry no ids: they belong to the node that is executing. ComfyUI runs one prompt at a time, so
    // when the executing prompt is unknown (right after a reconnect) the one run known to be running owns it.
    const promptId = frame.promptId ?? this.executing.promptId ?? this.soleRunningPrompt()
    const nodeId = frame.nodeId ?? this.executing.nodeId
    const run = promptId ? this.runsById.get(promptId) : undefined
    run?.onFrame({ ...frame, ...(nodeId !== undefined ? { nodeId } : {}) })
  }

  private soleRunningPrompt(): string | undefined {
    const running = [...this.runsById.entries()].filter(([, run]) => run.phase === 'running')
    return running.length === 1 ? running[0]![0] : undefined
  }

  private tick(): void {
    if (this.closed) return
    const now = Date.now()
    if (!this.connected) {
      const since = this.disconnectedSince ?? now
      if (!this.restarting && this.active.size > 0 && now - since > this.settings.outageTimeoutMs) {
        const error = new ComfyUnavailableError(`ComfyUI unreachable for ${now - since} ms`)
        for (const run of this.active) run.fail(error)
        this.emitUnhealthy(error.message)
      }
      return
    }
    for (const run of this.active) {
      if (now - run.lastActivity >= this.settings.reconcileIntervalMs) void run.reconcile('watchdog')
    }
  }

  private deleteHistory(ids: readonly string[]): void {
    if (ids.length === 0) return
    this.http.deleteHistory(ids).catch((error: Error) => this.logger.debug(`comfyui: history delete: ${error.message}`))
  }

  private async abandon(id: string, phase: RunPhase, others: readonly string[]): Promise<void> {
    this.deleteHistory(others)
    const timer = setTimeout(() => void this.checkOrphan(id), this.settings.interruptGraceMs)
    timer.unref()
    this.orphans.set(id, { timer })
    try {
      if (phase === 'running') {
        await this.http.interrupt(id)
        return
      }
      await this.http.deleteFromQueue([id])
      // It may have started between our last event and the delete: then it needs the interrupt.
      const queue = await this.http.getQueue()
      if (queue.queue_running.some((item) => item[1] === id)) await this.http.interrupt(id)
      else if (!queue.queue_pending.some((item) => item[1] === id)) this.settleOrphan(id)
    } catch (error) {
      this.logger.warn(`comfyui: cancelling ${id}: ${(error as Error).message}`)
    }
  }

  private settleOrphan(id: string): void {
    const orphan = this.orphans.get(id)
    if (!orphan) return
    clearTimeout(orphan.timer)
    this.orphans.delete(id)
    this.deleteHistory([id])
  }

  private async checkOrphan(id: string): Promise<void> {
    if (!this.orphans.has(id)) return
    try {
      const queue = await this.http.getQueue()
      if (queue.queue_running.some((item) => item[1] === id)) {
        this.emitUnhealthy(`prompt ${id} still running ${this.settings.interruptGraceMs} ms after its interrupt`)
      }
    } catch {
      // unreachable: the outage path reports it
    }
    this.settleOrphan(id)
  }

  private emitUnhealthy(reason: string): void {
    this.logger.error(`comfyui: unhealthy: ${reason}`)
    for (const listener of this.unhealthyListeners) listener(reason)
  }
}

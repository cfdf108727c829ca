/**
 * The fake ComfyUI server: node:http + ws on one port, with knobs, faults, a crash that behaves like `kill -9`,
 * and a log of everything it was asked, for assertions.
 * @module
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { Socket } from 'node:net'
import { join } from 'node:path'
import { type ExecutorEvent, FakeExecutor, type FakeTimings, type HistoryEntry, type QueueItem } from './executor.js'
import type { FakeFaults } from './faults.js'
import { buildObjectInfo, type NodeInfo } from './object-info.js'
import { fileKey, handleRoute, readBody, type StoredFile } from './routes.js'
import { buildSequence, type SequenceContext, type SequenceName } from './sequence.js'
import { WsHub } from './ws-hub.js'

/** Options of {@link FakeComfyUI.start}. */
export interface FakeComfyUIOptions {
  /** Port to listen on; 0 picks a free one. @default 0 */
  port?: number
  /** Interface to listen on. @default '127.0.0.1' */
  host?: string
  /** Milliseconds per sampler step. @default 0 */
  stepMs?: number
  /** Milliseconds per ordinary node. @default 0 */
  nodeMs?: number
  /** Milliseconds of the first load of a checkpoint (the warm-up cost). @default 0 */
  modelLoadMs?: number
  /** Milliseconds between `execution_success` and the history write + `executing {node: null}`. @default 10 */
  taskDoneDelayMs?: number
  /** Milliseconds from start (or restart) until it serves requests. @default 0 */
  bootDelayMs?: number
  /** While booting: `refuse` connections (real ComfyUI: not listening yet) or answer `503`. @default 'refuse' */
  bootMode?: 'refuse' | '503'
  /** Files in `models/checkpoints`. @default ['sd_xl_turbo_1.0_fp16.safetensors'] */
  checkpoints?: string[]
  /** Faults to inject. @default {} */
  faults?: FakeFaults
  /** Kill the whole process on a crash (for the CLI, so a supervisor sees a real death). @default false */
  exitOnCrash?: boolean
  /** Directory `SaveImage` also writes its files to, as ComfyUI does (`--output-directory`). @default memory only */
  outputDirectory?: string
  /** Arguments shown in `/system_stats` `argv`. @default [] */
  argv?: string[]
  /** Log sink for ComfyUI-like lines ("got prompt", "Prompt executed in …"). @default no logging */
  log?: (line: string) => void
}

/** A request the fake received. */
export interface RecordedRequest {
  method: string
  /** Path without the `/api` prefix. */
  path: string
  query: string
  /** Parsed JSON body, or the raw text when it is not JSON, or undefined when empty. */
  body: unknown
}

/** Everything the fake saw or did, in order. */
export type FakeEvent =
  | ({ type: 'request' } & RecordedRequest)
  | ExecutorEvent
  | { type: 'ws-connected'; clientId: string }
  | { type: 'ws-disconnected'; clientId: string }
  | { type: 'booted' }
  | { type: 'crashed' }

/** A fake ComfyUI 0.8.0. */
export class FakeComfyUI {
  /** Mutable timing knobs. */
  readonly timings: FakeTimings
  /** Mutable faults. */
  readonly faults: FakeFaults
  /** The classes `/object_info` lists. */
  readonly objectInfo: Record<string, NodeInfo>
  /** Every request received, in order. */
  readonly requests: RecordedRequest[] = []
  /** Every event, in order. */
  readonly events: FakeEvent[] = []
  /** Files written by SaveImage (served by `/view`). */
  readonly files = new Map<string, StoredFile>()
  /** Resolves when the current boot finished. */
  booted: Promise<void> = Promise.resolve()

  private readonly options: Required<Omit<FakeComfyUIOptions, 'faults' | 'log' | 'argv' | 'outputDirectory'>>
  private readonly outputDirectory: string | undefined
  private readonly log: (line: string) => void
  private readonly listeners = new Set<(event: FakeEvent) => void>()
  private readonly counters = new Map<string, number>()
  private executor: FakeExecutor
  private hub: WsHub
  private server: Server | undefined
  private readonly connections = new Set<Socket>()
  private isBooted = false
  private crashed = false
  private closed = false
  private boundPort = 0

  private constructor(options: FakeComfyUIOptions) {
    this.options = {
      port: options.port ?? 0,
      host: options.host ?? '127.0.0.1',
      stepMs: options.stepMs ?? 0,
      nodeMs: options.nodeMs ?? 0,
      modelLoadMs: options.modelLoadMs ?? 0,
      taskDoneDelayMs: options.taskDoneDelayMs ?? 10,
      bootDelayMs: options.bootDelayMs ?? 0,
      bootMode: options.bootMode ?? 'refuse',
      checkpoints: options.checkpoints ?? ['sd_xl_turbo_1.0_fp16.safetensors'],
      exitOnCrash: options.exitOnCrash ?? false,
    }
    this.argv = options.argv ?? []
    this.outputDirectory = options.outputDirectory
    this.log = options.log ?? (() => {})
    this.timings = {
      stepMs: this.options.stepMs,
      nodeMs: this.options.nodeMs,
      modelLoadMs: this.options.modelLoadMs,
      taskDoneDelayMs: this.options.taskDoneDelayMs,
    }
    this.faults = { ...options.faults }
    this.objectInfo = buildObjectInfo(this.options.checkpoints)
    this.executor = this.createExecutor()
    this.hub = this.createHub()
  }

  private readonly argv: string[]

  /**
   * Starts a fake; resolves once its port is known (it may still be booting: see {@link FakeComfyUI.booted}).
   * @example
   * const fake = await FakeComfyUI.start({ stepMs: 20 })
   * await fake.booted
   * await fetch(`${fake.url}/system_stats`)
   */
  static async start(options: FakeComfyUIOptions = {}): Promise<FakeComfyUI> {
    const fake = new FakeComfyUI(options)
    await fake.listen()
    return fake
  }

  /** The port it listens on. */
  get port(): number {
    return this.boundPort
  }

  /** `http://host:port`. */
  get url(): string {
    return `http://${this.options.host}:${this.boundPort}`
  }

  /** Prompt history (what `/history` serves). */
  get history(): ReadonlyMap<string, HistoryEntry> {
    return this.executor.history
  }

  /** The running prompt and the pending ones. */
  get queue(): { running: QueueItem | null; pending: readonly QueueItem[] } {
    return { running: this.executor.running, pending: this.executor.queued }
  }

  /** Client ids with an open WebSocket. */
  get clientIds(): string[] {
    return this.hub.clientIds()
  }

  /** Changes timing knobs. */
  setTimings(timings: Partial<FakeTimings>): void {
    for (const [key, value] of Object.entries(timings)) {
      if (typeof value === 'number' && key in this.timings) this.timings[key as keyof FakeTimings] = value
    }
  }

  /** Sets (or, with null, clears) faults; kinds not named are left as they are. */
  setFaults(faults: FakeFaults): void {
    Object.assign(this.faults, faults)
  }

  /** Clears every fault. */
  clearFaults(): void {
    for (const key of Object.keys(this.faults)) delete this.faults[key as keyof FakeFaults]
  }

  /** Cuts every WebSocket (no close frame); ComfyUI goes on running. */
  dropWebSockets(): void {
    this.hub.dropAll()
  }

  /** Stops sending to the connected clients while their sockets stay open (the "zombie" client of ComfyUI#9393). */
  forgetWebSockets(): void {
    this.hub.forgetAll()
  }

  /** Accepts (true) or refuses with 503 (false) new WebSocket connections. */
  setAcceptWebSockets(accept: boolean): void {
    this.hub.accepting = accept
  }

  /** Number of requests received with that method and path (path without `/api`), optionally matching a body test. */
  count(method: string, path: string, body?: (body: unknown) => boolean): number {
    return this.requests.filter((r) => r.method === method && r.path === path && (!body || body(r.body))).length
  }

  /**
   * Resolves with the first event, past or future, that matches.
   * @example
   * await fake.waitFor((e) => e.type === 'prompt-finished' && e.promptId === id)
   */
  waitFor<E extends FakeEvent>(predicate: (event: FakeEvent) => event is E, timeoutMs?: number): Promise<E>
  waitFor(predicate: (event: FakeEvent) => boolean, timeoutMs?: number): Promise<FakeEvent>
  waitFor(predicate: (event: FakeEvent) => boolean, timeoutMs = 20_000): Promise<FakeEvent> {
    const found = this.events.find(predicate)
    if (found) return Promise.resolve(found)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.listeners.delete(listener)
        reject(new Error('fake ComfyUI: timed out waiting for an event'))
      }, timeoutMs)
      const listener = (event: FakeEvent) => {
        if (!predicate(event)) return
        clearTimeout(timer)
        this.listeners.delete(listener)
        resolve(event)
      }
      this.listeners.add(listener)
    })
  }

  /**
   * Dies like a killed process: every socket is cut, the port stops answering, queue and history are gone.
   * With `exitOnCrash` the process itself is killed with SIGKILL.
   */
  crash(): void {
    if (this.crashed || this.closed) return
    this.crashed = true
    this.record({ type: 'crashed' })
    this.log('fake ComfyUI: crashing')
    if (this.options.exitOnCrash) process.kill(process.pid, 'SIGKILL')
    this.executor.stop()
    this.hub.dropAll()
    for (const socket of this.connections) socket.destroy()
    this.server?.close()
    this.server = undefined
  }

  /** Starts again on the same port after a crash, with empty queue, history and caches (a new process). */
  async restart(): Promise<void> {
    if (!this.crashed) throw new Error('fake ComfyUI: restart() is only for after crash()')
    this.crashed = false
    this.isBooted = false
    this.executor = this.createExecutor()
    this.hub = this.createHub()
    await this.listen()
    await this.booted
  }

  /** Stops for good. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.executor.stop()
    await this.hub.close()
    for (const socket of this.connections) socket.destroy()
    const server = this.server
    this.server = undefined
    if (server?.listening) await new Promise<void>((resolve) => server.close(() => resolve()))
  }

  private record(event: FakeEvent): void {
    this.events.push(event)
    for (const listener of [...this.listeners]) listener(event)
  }

  private createExecutor(): FakeExecutor {
    const executor = new FakeExecutor({
      objectInfo: this.objectInfo,
      timings: this.timings,
      faults: this.faults,
      deliver: (name, ctx) => this.deliver(name, ctx),
      supportsPreviewMetadata: (sid) => this.hub.supportsPreviewMetadata(sid),
      sendBinary: (sid, frame) => this.hub.send(sid, { name: 'preview:type1', route: 'client-or-all', payload: frame }),
      saveFile: (type, subfolder, filename, bytes) => {
        const ext = filename.split('.').pop() ?? ''
        const contentType = ext === 'png' ? 'image/png' : ext === 'webp' ? 'image/webp' : 'image/jpeg'
        this.files.set(fileKey(type, subfolder, filename), { bytes, contentType })
        if (this.outputDirectory && type === 'output') {
          // Synchronous, like PIL's save in ComfyUI's worker: the prompt is not done before the file is.
          const dir = join(this.outputDirectory, subfolder)
          mkdirSync(dir, { recursive: true })
          writeFileSync(join(dir, filename), bytes)
        }
      },
      nextCounter: (subfolder, prefix) => {
        const key = `${subfolder}/${prefix}`
        const next = (this.counters.get(key) ?? 0) + 1
        this.counters.set(key, next)
        return next
      },
      crash: () => this.crash(),
      dropWebSockets: (keepOut) => {
        if (keepOut) this.hub.accepting = false
        this.hub.dropAll()
      },
      onEvent: (event) => this.record(event),
      log: (line) => this.log(line),
    })
    return executor
  }

  private createHub(): WsHub {
    return new WsHub({
      connected: (sid) => {
        this.record({ type: 'ws-connected', clientId: sid })
        this.deliver('connect', this.wsContext(sid))
      },
      featureFlags: (sid) => this.deliver('featureFlags', this.wsContext(sid)),
      disconnected: (sid) => this.record({ type: 'ws-disconnected', clientId: sid }),
    })
  }

  private wsContext(sid: string): SequenceContext {
    return {
      clientId: this.executor.clientId,
      connectingSid: sid,
      queueRemaining: this.executor.queueRemaining(),
      lastNodeId: this.executor.lastNodeId,
      supportsPreviewMetadata: (s) => this.hub.supportsPreviewMetadata(s),
    }
  }

  private deliver(name: SequenceName, ctx: SequenceContext): void {
    for (const message of buildSequence(name, ctx)) {
      if (message.route === 'connecting') this.hub.send(ctx.connectingSid ?? null, message)
      else if (message.route === 'all') this.hub.send(null, message)
      else if (message.route === 'client-or-all') this.hub.send(ctx.clientId, message)
      else if (ctx.clientId !== null) this.hub.send(ctx.clientId, message)
    }
  }

  private async listen(): Promise<void> {
    const { host, bootDelayMs, bootMode } = this.options
    let port = this.boundPort || this.options.port
    const server = createServer((request, response) => void this.onRequest(request, response))
    server.on('connection', (socket) => {
      this.connections.add(socket)
      socket.on('close', () => this.connections.delete(socket))
    })
    server.on('upgrade', (request, socket, head) => {
      if (!this.isBooted || this.crashed) {
        socket.destroy()
        return
      }
      this.hub.handleUpgrade(request, socket, head)
    })
    this.server = server
    const finishBoot = () => {
      this.isBooted = true
      this.executor.start()
      this.record({ type: 'booted' })
      this.log('Starting server\n')
      this.log(`To see the GUI go to: http://${host}:${this.boundPort}`)
    }
    if (bootDelayMs > 0 && bootMode === 'refuse') {
      if (port === 0) port = await freePort(host)
      this.boundPort = port
      this.booted = new Promise<void>((resolve, reject) => {
        setTimeout(() => {
          if (this.server !== server) return resolve()
          server.once('error', reject)
          server.listen(port, host, () => {
            finishBoot()
            resolve()
          })
        }, bootDelayMs)
      })
      return
    }
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, host, () => resolve())
    })
    const address = server.address()
    this.boundPort = typeof address === 'object' && address ? address.port : port
    if (bootDelayMs > 0) {
      this.booted = new Promise<void>((resolve) =>
        setTimeout(() => {
          if (this.server === server) finishBoot()
          resolve()
        }, bootDelayMs),
      )
    } else {
      finishBoot()
      this.booted = Promise.resolve()
    }
  }

  private async onRequest(
    request: import('node:http').IncomingMessage,
    response: import('node:http').ServerResponse,
  ): Promise<void> {
    if (this.crashed) {
      request.socket.destroy()
      return
    }
    if (!this.isBooted) {
      response.writeHead(503, { 'Content-Type': 'text/plain' }).end('503: starting')
      return
    }
    const url = new URL(request.url ?? '/', 'http://fake')
    const path = url.pathname.startsWith('/api/') ? url.pathname.slice(4) : url.pathname
    const method = request.method ?? 'GET'
    const text = await readBody(request)
    let body: unknown
    if (text) {
      try {
        body = JSON.parse(text)
      } catch {
        body = text
      }
    }
    const recorded: RecordedRequest = { method, path, query: url.search, body }
    this.requests.push(recorded)
    this.record({ type: 'request', ...recorded })
    await handleRoute(
      {
        executor: this.executor,
        objectInfo: this.objectInfo,
        files: this.files,
        checkpoints: this.options.checkpoints,
        argv: this.argv,
        setTimings: (t) => this.setTimings(t),
        setFaults: (f) => this.setFaults(f),
        crash: () => this.crash(),
        dropWebSockets: () => this.dropWebSockets(),
        executions: () => this.events.filter((event) => event.type === 'prompt-finished'),
        log: (line) => this.log(line),
      },
      method,
      path,
      url,
      text,
      response,
    )
  }
}

async function freePort(host: string): Promise<number> {
  const probe = createServer()
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject)
    probe.listen(0, host, () => resolve())
  })
  const address = probe.address()
  const port = typeof address === 'object' && address ? address.port : 0
  await new Promise<void>((resolve) => probe.close(() => resolve()))
  return port
}

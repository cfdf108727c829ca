/**
 * The one WebSocket to ComfyUI: a fixed `clientId`, `feature_flags` as first message, client pings (ComfyUI sends
 * none), reconnection with exponential backoff and jitter, and no permessage-deflate (images do not compress).
 * @module
 */
import { WebSocket } from 'ws'
import { type BinaryFrame, type ComfyMessage, decodeBinaryFrame, parseMessage } from './protocol.js'

/** Options of {@link ComfySocket}. */
export interface ComfySocketOptions {
  /** ComfyUI's base URL (http or https). */
  baseUrl: string
  /** The `clientId` ComfyUI routes this client's events to. */
  clientId: string
  /** First reconnect delay. @default 100 */
  reconnectInitialMs?: number
  /** Longest reconnect delay. @default 5000 */
  reconnectMaxMs?: number
  /** Ping period; a ping unanswered for a whole period closes the socket. @default 10000 */
  pingIntervalMs?: number
  /** Announce `supports_preview_metadata` (type-4 frames carry prompt and node ids). @default true */
  featureFlags?: boolean
  /** Largest frame accepted. @default 256 MiB */
  maxPayload?: number
  /** The socket opened; `reconnected` is false the first time. */
  onOpen?(reconnected: boolean): void
  /** An open socket closed (a reconnect is scheduled unless {@link ComfySocket.close} was called). */
  onClose?(reason: string): void
  /** A JSON message arrived. */
  onMessage?(message: ComfyMessage): void
  /** A binary frame arrived. */
  onFrame?(frame: BinaryFrame): void
}

/** State of a {@link ComfySocket}. */
export type ComfySocketState = 'idle' | 'connecting' | 'open' | 'closed'

/** A reconnecting WebSocket to ComfyUI. */
export class ComfySocket {
  private ws: WebSocket | undefined
  private socketState: ComfySocketState = 'idle'
  private attempts = 0
  private everOpened = false
  private retryTimer: NodeJS.Timeout | undefined
  private pingTimer: NodeJS.Timeout | undefined
  private awaitingPong = false
  private readonly waiters = new Set<{ resolve(): void; reject(error: unknown): void }>()

  constructor(private readonly options: ComfySocketOptions) {}

  /** Where the socket is. */
  get state(): ComfySocketState {
    return this.socketState
  }

  /** Starts connecting (and keeps reconnecting until {@link ComfySocket.close}). */
  open(): void {
    if (this.socketState !== 'idle') return
    this.connect()
  }

  /**
   * Resolves when the socket is open (now or later); rejects on `signal` abort or {@link ComfySocket.close}.
   * @example
   * await socket.whenOpen(AbortSignal.timeout(30_000))
   */
  whenOpen(signal?: AbortSignal): Promise<void> {
    if (this.socketState === 'open') return Promise.resolve()
    if (this.socketState === 'closed') return Promise.reject(new Error('ComfyUI socket closed'))
    return new Promise<void>((resolve, reject) => {
      const waiter = {
        resolve: () => {
          signal?.removeEventListener('abort', onAbort)
          resolve()
        },
        reject: (error: unknown) => {
          signal?.removeEventListener('abort', onAbort)
          reject(error)
        },
      }
      const onAbort = () => {
        this.waiters.delete(waiter)
        reject(signal?.reason)
      }
      if (signal?.aborted) return onAbort()
      signal?.addEventListener('abort', onAbort, { once: true })
      this.waiters.add(waiter)
    })
  }

  /** Forgets the backoff and connects now (after a known restart); an open socket is replaced. */
  reconnectNow(): void {
    if (this.socketState === 'closed') return
    this.attempts = 0
    clearTimeout(this.retryTimer)
    this.retryTimer = undefined
    if (this.ws) this.ws.terminate()
    else this.connect()
  }

  /** Closes for good. */
  async close(): Promise<void> {
    if (this.socketState === 'closed') return
    this.socketState = 'closed'
    clearTimeout(this.retryTimer)
    clearInterval(this.pingTimer)
    for (const waiter of this.waiters) waiter.reject(new Error('ComfyUI socket closed'))
    this.waiters.clear()
    const ws = this.ws
    this.ws = undefined
    if (!ws || ws.readyState === WebSocket.CLOSED) return
    await new Promise<void>((resolve) => {
      ws.once('close', () => resolve())
      if (ws.readyState === WebSocket.CONNECTING) ws.terminate()
      else ws.close(1000)
      setTimeout(() => {
        ws.terminate()
        resolve()
      }, 1000).unref()
    })
  }

  private connect(): void {
    if (this.socketState === 'closed') return
    this.socketState = 'connecting'
    const url = new URL('/ws', this.options.baseUrl.replace(/^http/, 'ws'))
    url.searchParams.set('clientId', this.options.clientId)
    // No permessage-deflate: ComfyUI's aiohttp server accepts it when offered (ws offers it by default) and would
    // then deflate every image frame, which does not shrink (PNG/JPEG/WebP) but costs CPU on both sides: measured
    // 24 ms for a 637 KB frame and 78 ms for 2.5 MB, against 2 and 4 ms without (docs/gpu-benchmarks.md).
    const ws = new WebSocket(url, {
      maxPayload: this.options.maxPayload ?? 256 * 1024 * 1024,
      perMessageDeflate: false,
    })
    this.ws = ws
    let opened = false
    ws.on('open', () => {
      if (this.ws !== ws) return
      opened = true
      this.socketState = 'open'
      this.attempts = 0
      if (this.options.featureFlags !== false) {
        ws.send(JSON.stringify({ type: 'feature_flags', data: { supports_preview_metadata: true } }))
      }
      this.startPing(ws)
      const reconnected = this.everOpened
      this.everOpened = true
      for (const waiter of this.waiters) waiter.resolve()
      this.waiters.clear()
      this.options.onOpen?.(reconnected)
    })
    ws.on('message', (data, isBinary) => {
      if (this.ws !== ws) return
      const buffer = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer)
      if (isBinary) {
        this.options.onFrame?.(decodeBinaryFrame(buffer))
        return
      }
      let message: ComfyMessage
      try {
        message = parseMessage(buffer.toString('utf8'))
      } catch {
        return
      }
      this.options.onMessage?.(message)
    })
    ws.on('pong', () => {
      this.awaitingPong = false
    })
    ws.on('error', () => {
      // 'close' follows and schedules the retry.
    })
    ws.on('close', (code, reason) => {
      if (this.ws !== ws) return
      this.ws = undefined
      clearInterval(this.pingTimer)
      if (this.socketState === 'closed') return
      this.socketState = 'connecting'
      if (opened) this.options.onClose?.(`closed (${code}${reason.length ? ` ${reason.toString()}` : ''})`)
      this.scheduleRetry()
    })
  }

  private scheduleRetry(): void {
    const initial = this.options.reconnectInitialMs ?? 100
    const max = this.options.reconnectMaxMs ?? 5000
    const base = Math.min(max, initial * 2 ** this.attempts)
    const delay = Math.round(base * (0.8 + Math.random() * 0.4))
    this.attempts++
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined
      this.connect()
    }, delay)
    this.retryTimer.unref()
  }

  private startPing(ws: WebSocket): void {
    clearInterval(this.pingTimer)
    this.awaitingPong = false
    this.pingTimer = setInterval(() => {
      if (this.awaitingPong) {
        ws.terminate()
        return
      }
      this.awaitingPong = true
      ws.ping()
    }, this.options.pingIntervalMs ?? 10_000)
    this.pingTimer.unref()
  }
}

/**
 * The fake's `GET /ws?clientId=` endpoint: one table of sockets keyed by client id, like `PromptServer.sockets`.
 * @module
 */
import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import { WebSocket, WebSocketServer } from 'ws'
import type { Outgoing } from './sequence.js'

/** What the hub tells its owner. */
export interface WsHubEvents {
  /** A socket connected; the owner sends the connect sequence to it. */
  connected(sid: string): void
  /** The socket's first message was `feature_flags`; the owner answers. */
  featureFlags(sid: string): void
  /** A socket went away. */
  disconnected(sid: string): void
}

/** The fake's WebSocket side. */
export class WsHub {
  private readonly sockets = new Map<string, WebSocket>()
  private readonly flags = new Map<string, Record<string, unknown>>()
  private readonly server = new WebSocketServer({ noServer: true, maxPayload: 100 * 1024 * 1024 })
  /** When false, upgrades are answered 503 (lets a test keep a client out for a while). */
  accepting = true

  constructor(private readonly events: WsHubEvents) {}

  /** Handles an HTTP upgrade; anything but `/ws` (or `/api/ws`) is refused. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(request.url ?? '/', 'http://fake')
    if (url.pathname !== '/ws' && url.pathname !== '/api/ws') {
      socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n')
      return
    }
    if (!this.accepting) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n')
      return
    }
    this.server.handleUpgrade(request, socket, head, (ws) => {
      let sid = url.searchParams.get('clientId') ?? ''
      // Reusing an existing session drops the old socket from the table (it stays open, but hears nothing).
      if (sid) this.sockets.delete(sid)
      else sid = randomUUID().replaceAll('-', '')
      this.sockets.set(sid, ws)
      this.flags.set(sid, {})
      let first = true
      ws.on('message', (data, isBinary) => {
        if (isBinary) return
        try {
          const message = JSON.parse(data.toString()) as { type?: string; data?: Record<string, unknown> }
          if (first && message.type === 'feature_flags') {
            this.flags.set(sid, message.data ?? {})
            this.events.featureFlags(sid)
          }
        } catch {
          // ComfyUI logs "Invalid JSON received" and goes on.
        }
        first = false
      })
      ws.on('error', () => {})
      ws.on('close', () => {
        // `finally: self.sockets.pop(sid)`: pops whatever is under this id now, even a newer socket (the real race).
        this.sockets.delete(sid)
        this.flags.delete(sid)
        this.events.disconnected(sid)
      })
      this.events.connected(sid)
    })
  }

  /** True when that client negotiated `supports_preview_metadata`. */
  supportsPreviewMetadata(sid: string | null): boolean {
    return sid !== null && this.flags.get(sid)?.['supports_preview_metadata'] === true
  }

  /** Client ids with an open socket. */
  clientIds(): string[] {
    return [...this.sockets.keys()]
  }

  /** Sends one message to `sid` (or to everybody when `sid` is null), like `send_json` / `send_bytes`. */
  send(sid: string | null, message: Outgoing): void {
    const targets = sid === null ? [...this.sockets.values()] : [this.sockets.get(sid)].filter((s) => s !== undefined)
    for (const ws of targets) {
      if (ws.readyState !== WebSocket.OPEN) continue
      ws.send(message.payload, { binary: typeof message.payload !== 'string' })
    }
  }

  /**
   * Forgets every socket without closing it: ComfyUI stops sending to those clients while their connections stay up
   * (what a late `finally: sockets.pop(sid)` of an older socket does to a reconnected client).
   */
  forgetAll(): void {
    this.sockets.clear()
  }

  /** Drops every connection at the TCP level, with no close frame (a network cut). */
  dropAll(): void {
    for (const ws of this.server.clients) ws.terminate()
  }

  /** Closes everything for good. */
  async close(): Promise<void> {
    this.dropAll()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }
}

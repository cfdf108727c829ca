// The bridge's WebSocket to ComfyUI: what it negotiates.
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocketServer } from 'ws'
import { ComfySocket } from '../src/comfyui/index.js'

const closers: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close()
})

describe('ComfySocket', () => {
  it('does not offer permessage-deflate, so a server that accepts it (ComfyUI’s aiohttp) sends frames as they are', async () => {
    // ComfyUI's web.WebSocketResponse() accepts permessage-deflate whenever the client offers it, and then deflates
    // every image frame; a ws server with perMessageDeflate on stands in for it.
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: true })
    closers.push(() => new Promise((resolve) => server.close(() => resolve())))
    await new Promise((resolve) => server.once('listening', resolve))
    const offered = new Promise<{ header: string | undefined; extensions: string }>((resolve) =>
      server.once('connection', (ws, request) =>
        resolve({ header: request.headers['sec-websocket-extensions'], extensions: ws.extensions }),
      ),
    )
    const { port } = server.address() as AddressInfo
    const socket = new ComfySocket({ baseUrl: `http://127.0.0.1:${port}`, clientId: 'deflate-check' })
    closers.push(() => socket.close())
    socket.open()
    await socket.whenOpen(AbortSignal.timeout(5000))
    const { header, extensions } = await offered
    expect(header ?? '').not.toContain('permessage-deflate')
    expect(extensions).toBe('')
  })
})

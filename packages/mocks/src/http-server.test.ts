import { connect, type Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { type MockHttpServer, startMockHttpServer } from './http-server.js'

let mock: MockHttpServer
let port: number

beforeAll(async () => {
  mock = await startMockHttpServer({ port: 0 })
  port = Number(new URL(mock.url).port)
})

afterAll(() => mock?.close())

interface RawResponse {
  status: number
  headers: Record<string, string>
  body: string
}

/** A keep-alive connection spoken to byte by byte, reading one HTTP/1.1 answer at a time. */
const connection = async () => {
  const socket: Socket = connect(port, '127.0.0.1')
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject))
  socket.on('error', () => {})
  let buffer = ''
  let wake = (): void => {}
  socket.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('latin1')
    wake()
  })
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
  closed.then(() => wake())

  /** Parses one complete answer off the front of the buffer, if there is one. */
  const parse = (): RawResponse | undefined => {
    const headEnd = buffer.indexOf('\r\n\r\n')
    if (headEnd < 0) return undefined
    const [statusLine, ...lines] = buffer.slice(0, headEnd).split('\r\n')
    const headers = Object.fromEntries(
      lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
    )
    let rest = buffer.slice(headEnd + 4)
    let body = ''
    if (headers['transfer-encoding'] === 'chunked') {
      for (;;) {
        const sizeEnd = rest.indexOf('\r\n')
        if (sizeEnd < 0) return undefined
        const size = Number.parseInt(rest.slice(0, sizeEnd), 16)
        if (rest.length < sizeEnd + 2 + size + 2) return undefined
        body += rest.slice(sizeEnd + 2, sizeEnd + 2 + size)
        rest = rest.slice(sizeEnd + 2 + size + 2)
        if (size === 0) break
      }
    } else {
      const length = Number(headers['content-length'] ?? 0)
      if (rest.length < length) return undefined
      body = rest.slice(0, length)
      rest = rest.slice(length)
    }
    buffer = rest
    return { status: Number(statusLine!.split(' ')[1]), headers, body }
  }

  return {
    socket,
    closed,
    send: (text: string | Buffer) => socket.write(text),
    /** The next answer; rejects when the connection closes first. */
    async next(): Promise<RawResponse> {
      for (;;) {
        const response = parse()
        if (response) return response
        if (socket.destroyed) throw new Error(`connection closed; unparsed: ${JSON.stringify(buffer.slice(0, 200))}`)
        await new Promise<void>((resolve) => {
          wake = resolve
        })
      }
    },
  }
}

const get = (path: string) => `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`
const postHead = (length: number) =>
  `POST /generate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`

describe('startMockHttpServer: the connection after an early answer', () => {
  // POST /generate takes 64 KiB plus room for a 4 MiB base64 image_url (5,658,942 bytes): these bodies are past it.
  it('answers the next requests on the same connection after a 413 for a 6 MB prompt', async () => {
    const client = await connection()
    const body = JSON.stringify({ prompt: 'x'.repeat(6_000_000) })
    client.send(postHead(body.length) + body)
    expect((await client.next()).status).toBe(413)
    client.send(get('/nope'))
    expect((await client.next()).status).toBe(404)
    client.send(get('/health'))
    const health = await client.next()
    expect(health.status).toBe(200)
    expect(JSON.parse(health.body)).toEqual({ status: 'ok' })
    client.socket.destroy()
  })

  it('answers requests pipelined behind an oversized body', async () => {
    const client = await connection()
    const body = JSON.stringify({ prompt: 'y'.repeat(5_700_000) })
    client.send(postHead(body.length) + body + get('/health'))
    expect((await client.next()).status).toBe(413)
    expect((await client.next()).status).toBe(200)
    client.socket.destroy()
  })

  it('answers 413 then closes the connection cleanly when the body goes on past what it reads off', async () => {
    const client = await connection()
    client.send(
      'POST /generate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n',
    )
    const chunk = Buffer.alloc(6 * 1024 * 1024, 'z')
    client.send(`${chunk.length.toString(16)}\r\n{"prompt":"`)
    client.send(Buffer.concat([chunk.subarray(11), Buffer.from('\r\n')]))
    expect((await client.next()).status).toBe(413)
    // Keep sending, as a careless client would: the server stops reading after 8 MiB and closes.
    for (let sent = 0; sent < 10 && !client.socket.destroyed; sent++) {
      client.send(`${chunk.length.toString(16)}\r\n`)
      client.send(Buffer.concat([chunk, Buffer.from('\r\n')]))
    }
    await client.closed
  })
})

describe('startMockHttpServer: requests fetch cannot represent', () => {
  it('answers TRACE with 405 and Allow, as the server does, and keeps the connection', async () => {
    const client = await connection()
    client.send('TRACE /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')
    const trace = await client.next()
    expect(trace.status).toBe(405)
    expect(trace.headers.allow).toBe('GET, HEAD, OPTIONS, POST, PUT')
    expect(JSON.parse(trace.body).detail).toMatch(/Method TRACE is not allowed/)
    client.send(get('/health'))
    expect((await client.next()).status).toBe(200)
    client.socket.destroy()
  })

  it('answers a method a known path does not take (QUERY, DELETE) with 405 and Allow, and unknown paths with 404', async () => {
    const client = await connection()
    for (const method of ['QUERY', 'DELETE']) {
      client.send(`${method} /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`)
      const response = await client.next()
      expect(response.status, method).toBe(405)
      expect(response.headers.allow, method).toContain('GET')
    }
    client.send(get('/nope'))
    expect((await client.next()).status).toBe(404)
    client.socket.destroy()
  })

  it('answers an absolute-form target that is no URL with 400, not 500', async () => {
    const client = await connection()
    for (const target of ['http://', 'http://[', 'https://:0']) {
      client.send(get(target))
      const response = await client.next()
      expect(response.status, target).toBe(400)
      expect(JSON.parse(response.body).detail).toContain('Bad request target')
    }
    client.socket.destroy()
  })
})

describe('startMockHttpServer: callers who hang up', () => {
  it('counts 50 uploads aborted mid-body as 499, logging no error', async () => {
    const errors = vi.spyOn(console, 'error')
    const aborted = async () => {
      const client = await connection()
      // The 100 Continue says the request reached the app; the caller then hangs up mid-body.
      client.send(`${postHead(1000).slice(0, -2)}Expect: 100-continue\r\n\r\n`)
      expect((await client.next()).status).toBe(100)
      client.send('{"prompt":"gone before the end')
      client.socket.destroy()
    }
    await Promise.all(Array.from({ length: 50 }, aborted))
    const count499 = async () => {
      const text = await (await fetch(`${mock.url}/metrics`)).text()
      return Number(/genimage_http_requests_total\{[^}]*status="499"[^}]*\} (\d+)/.exec(text)?.[1] ?? 0)
    }
    await vi.waitFor(async () => expect(await count499()).toBe(50))
    expect(errors).not.toHaveBeenCalled()
    errors.mockRestore()
  })
})

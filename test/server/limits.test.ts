import { get } from 'node:http'
import { connect, type Socket } from 'node:net'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { eventually, killAll, type Spawned, spawnServerMain } from './processes.js'

afterEach(() => killAll())

/** Spawns `genimage-server` (synthetic backend, any free port) and resolves once it accepts generations. */
const startServer = async (
  env: Record<string, string> = {},
): Promise<{ server: Spawned; url: string; port: number }> => {
  const server = spawnServerMain([], { PORT: '0', HOST: '127.0.0.1', SYNTHETIC_STEP_MS: '0', ...env })
  // The first log line with a URL says where it listens; /ready says when it takes generations.
  const { url } = JSON.parse(await server.line((line) => line.includes('"url":'))) as { url: string }
  // Without keep-alive: a pooled connection would count against MAX_CONNECTIONS.
  const ready = () =>
    new Promise<true | undefined>((resolve) =>
      get(`${url}/ready`, { agent: false }, (response) => {
        response.resume()
        resolve(response.statusCode === 200 ? true : undefined)
      }).once('error', () => resolve(undefined)),
    )
  await eventually(ready, 'the server to be ready')
  return { server, url, port: Number(new URL(url).port) }
}

/** A raw TCP connection: what it received so far, and a promise that settles when the server closes it. */
const rawConnection = async (port: number) => {
  const socket: Socket = connect(port, '127.0.0.1')
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject))
  let received = ''
  socket.on('data', (chunk: Buffer) => {
    received += chunk.toString()
  })
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
  socket.on('error', () => {})
  /** Resolves once what was received matches `pattern` (checked on each chunk); rejects if the server closes first. */
  const until = (pattern: RegExp) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (pattern.test(received)) resolve()
        else if (socket.destroyed) reject(new Error(`closed before ${pattern}: ${JSON.stringify(received)}`))
        else socket.once('data', () => setImmediate(check))
      }
      socket.once('close', check)
      check()
    })
  return { socket, received: () => received, closed, until }
}

const UPLOAD_HEAD = (length: number) =>
  `POST /generate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n`

describe('HTTP limits of genimage-server', () => {
  it('answers 408 and disconnects a client that sends its body too slowly (REQUEST_TIMEOUT_MS)', async () => {
    const { port } = await startServer({ HEADERS_TIMEOUT_MS: '1000', REQUEST_TIMEOUT_MS: '1000' })
    const slow = await rawConnection(port)
    const started = performance.now()
    slow.socket.write(`${UPLOAD_HEAD(100)}\r\n{"prompt":"one byte at a time`)
    await slow.closed
    const elapsed = performance.now() - started
    expect(slow.received()).toMatch(/^HTTP\/1\.1 408 /)
    expect(elapsed).toBeGreaterThanOrEqual(900)
    expect(elapsed).toBeLessThan(5000)
  })

  it('closes an idle keep-alive connection after KEEP_ALIVE_TIMEOUT_MS', async () => {
    const { port } = await startServer({ KEEP_ALIVE_TIMEOUT_MS: '1000' })
    const idle = await rawConnection(port)
    idle.socket.write('GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n')
    const started = performance.now()
    await idle.closed
    expect(idle.received()).toMatch(/^HTTP\/1\.1 200 /)
    // Node's own default is 5 s.
    expect(performance.now() - started).toBeLessThan(3000)
  })

  it('refuses connections past MAX_CONNECTIONS and accepts again once one ends', async () => {
    const { port, url } = await startServer({ MAX_CONNECTIONS: '2' })
    const held = [await rawConnection(port), await rawConnection(port)]
    for (const connection of held) {
      connection.socket.write('GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n')
      await connection.until(/^HTTP\/1\.1 200 /)
    }
    const third = await rawConnection(port)
    third.socket.write('GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n')
    await third.closed
    expect(third.received()).toBe('')
    held[0]!.socket.destroy()
    await held[0]!.closed
    await vi.waitFor(async () => expect((await fetch(`${url}/health`)).status).toBe(200), { timeout: 10_000 })
  })

  it('logs 1,000 uploads aborted mid-body once each at debug, with no stack and nothing on stderr', async () => {
    const { server, port } = await startServer({ LOG_LEVEL: 'debug' })
    let stderr = ''
    server.child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
    })
    const aborts = 1000
    const abortOne = async () => {
      const upload = await rawConnection(port)
      // Expect: 100-continue: the server answers 100 once the request reached the app, then the body starts.
      upload.socket.write(`${UPLOAD_HEAD(1000)}Expect: 100-continue\r\n\r\n`)
      await upload.until(/^HTTP\/1\.1 100 /)
      upload.socket.write('{"prompt":"the caller hangs up here')
      upload.socket.destroy()
    }
    for (let batch = 0; batch < aborts / 50; batch++) await Promise.all(Array.from({ length: 50 }, abortOne))

    const abortLines = () => server.output().match(/client closed the request mid-upload/g)?.length ?? 0
    await vi.waitFor(() => expect(abortLines()).toBe(aborts), { timeout: 45_000 })
    const records = server
      .output()
      .split('\n')
      .filter((line) => line.includes('client closed the request'))
      .map((line) => JSON.parse(line) as { level: number; err?: unknown; stack?: unknown })
    expect(records.every((record) => record.level === 20 && !record.err && !record.stack)).toBe(true)
    expect(server.output()).not.toMatch(/"level":(40|50|60)|unhandled error|\n\s+at /)
    expect(stderr).toBe('')
  })

  it('logs nothing on stderr and no error when callers hang up mid-answer (status streams, downloads)', async () => {
    const { server, port, url } = await startServer({ SYNTHETIC_STEP_MS: '200' })
    let stderr = ''
    server.child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
    })
    const json = { 'content-type': 'application/json' }
    const image = await fetch(`${url}/generate`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ prompt: 'a big download', width: 1024, height: 1024, num_inference_steps: 1 }),
    })
    const file = new URL(((await image.json()) as { image: { url: string } }).image.url).pathname
    const queued = await fetch(`${url}/queue/generate`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ prompt: 'watched, then left', num_inference_steps: 4 }),
    })
    const { request_id } = (await queued.json()) as { request_id: string }
    const hangUpAfter = async (request: string, answered: RegExp) => {
      const connection = await rawConnection(port)
      connection.socket.write(request)
      await connection.until(answered)
      connection.socket.destroy()
    }
    await Promise.all([
      ...Array.from({ length: 50 }, () =>
        hangUpAfter(`GET ${file} HTTP/1.1\r\nHost: localhost\r\n\r\n`, /^HTTP\/1\.1 200 /),
      ),
      ...Array.from({ length: 50 }, () =>
        hangUpAfter(`GET /queue/requests/${request_id}/status/stream HTTP/1.1\r\nHost: localhost\r\n\r\n`, /data:/),
      ),
    ])
    // The job the streams watched goes on, and the server answers as before.
    const status = await fetch(`${url}/queue/requests/${request_id}/status`)
    expect(status.status).toBe(200)
    expect((await fetch(`${url}/health`)).status).toBe(200)
    expect(server.output()).not.toMatch(/"level":(40|50|60)|unhandled error|aborted a request|\n\s+at /)
    expect(stderr).toBe('')
  })
})

describe('/metrics and API keys', () => {
  it('needs an API key when API_KEYS is set, unless METRICS_PUBLIC=true', async () => {
    const closed = await startServer({ API_KEYS: 'k1,k2' })
    const anonymous = await fetch(`${closed.url}/metrics`)
    expect(anonymous.status).toBe(401)
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Bearer/)
    expect((await fetch(`${closed.url}/metrics`, { headers: { authorization: 'Bearer nope' } })).status).toBe(401)
    const scraper = await fetch(`${closed.url}/metrics`, { headers: { authorization: 'Bearer k2' } })
    expect(scraper.status).toBe(200)
    expect(await scraper.text()).toMatch(/^genimage_queue_depth \d+$/m)
    expect((await fetch(`${closed.url}/health`)).status).toBe(200)

    const open = await startServer({ API_KEYS: 'k1', METRICS_PUBLIC: 'true' })
    expect((await fetch(`${open.url}/metrics`)).status).toBe(200)
  })
})

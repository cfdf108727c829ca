import type { LookupAddress } from 'node:dns'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { guardedRequest } from './guarded-request.js'
import { createOutboundGuard, OutboundRefusedError } from './outbound-guard.js'

/** A DNS that knows made-up names: `rebind.test` resolves to loopback, `public.test` to a public and a private address. */
const fakeDns = ((hostname: string, _options: unknown, callback: (e: Error | null, a: LookupAddress[]) => void) => {
  const table: Record<string, LookupAddress[]> = {
    'rebind.test': [{ address: '127.0.0.1', family: 4 }],
    'mixed.test': [
      { address: '93.184.216.34', family: 4 },
      { address: '10.0.0.7', family: 4 },
    ],
  }
  callback(null, table[hostname] ?? [{ address: '127.0.0.1', family: 4 }])
}) as never

let server: Server
let port: number
const received: string[] = []

beforeAll(async () => {
  server = createServer((request, response) => {
    received.push(`${request.method} ${request.url}`)
    if (request.url === '/redirect') response.writeHead(302, { location: 'http://127.0.0.1/elsewhere' }).end()
    else response.writeHead(200).end('ok')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  port = (server.address() as AddressInfo).port
})
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

describe('createOutboundGuard().check', () => {
  const guard = createOutboundGuard({ allowedHosts: ['hooks.internal:8080', '10.0.0.5'], allowlistName: 'HOSTS' })

  it.each([
    ['http://10.0.0.1/x', /10\.0\.0\.1 is a private address: .*unless HOSTS lists the host/],
    ['http://127.0.0.1:9/x', /loopback/],
    ['http://[::1]/x', /loopback/],
    ['http://[::ffff:192.168.0.1]/x', /private/],
    ['http://169.254.169.254/latest/meta-data', /link-local/],
    ['http://localhost:8787/x', /localhost is a loopback address/],
    ['http://app.localhost/x', /loopback/],
    ['http://localhost./x', /localhost is a loopback address/],
    ['http://2130706433/x', /127\.0\.0\.1 is a loopback address/],
    ['http://hooks.internal:9090/x', undefined],
  ])('%s', (url, expected) => {
    const refusal = guard.check(new URL(url))
    if (expected) expect(refusal).toMatch(expected)
    else expect(refusal).toBeUndefined() // a name is checked at connect time
  })

  it('lets public addresses and allowlisted hosts through', () => {
    expect(guard.check(new URL('https://93.184.216.34/x'))).toBeUndefined()
    expect(guard.check(new URL('http://10.0.0.5:1234/x'))).toBeUndefined()
    expect(guard.isAllowed(new URL('http://hooks.internal:8080/x'))).toBe(true)
    expect(guard.isAllowed(new URL('http://hooks.internal/x'))).toBe(false)
  })
})

describe('guardedRequest', () => {
  it('refuses a name that resolves to a non-public address, at connect time', async () => {
    const guard = createOutboundGuard({ lookup: fakeDns })
    const refused = guardedRequest(guard, new URL(`http://rebind.test:${port}/hook`), { method: 'POST', body: '{}' })
    await expect(refused).rejects.toBeInstanceOf(OutboundRefusedError)
    await expect(refused).rejects.toThrow(/rebind\.test resolves to 127\.0\.0\.1, which is a loopback address/)
    await expect(guardedRequest(guard, new URL(`http://mixed.test:${port}/hook`), { method: 'POST' })).rejects.toThrow(
      /10\.0\.0\.7, which is a private address/,
    )
    expect(received).toEqual([])
  })

  it('refuses localhost and literal loopback addresses that are not allowlisted', async () => {
    const guard = createOutboundGuard()
    await expect(guardedRequest(guard, new URL(`http://localhost:${port}/`))).rejects.toBeInstanceOf(
      OutboundRefusedError,
    )
    await expect(guardedRequest(guard, new URL(`http://127.0.0.1:${port}/`))).rejects.toBeInstanceOf(
      OutboundRefusedError,
    )
    expect(received).toEqual([])
  })

  it('reaches an allowlisted host, and answers a redirect without following it', async () => {
    const guard = createOutboundGuard({ allowedHosts: [`localhost:${port}`], lookup: fakeDns })
    const answer = await guardedRequest(guard, new URL(`http://localhost:${port}/hook`), { method: 'POST', body: '{}' })
    expect(answer.status).toBe(200)
    expect(new TextDecoder().decode(answer.body)).toBe('ok')
    const redirect = await guardedRequest(guard, new URL(`http://localhost:${port}/redirect`), { method: 'POST' })
    expect(redirect.status).toBe(302)
    const unread = await guardedRequest(guard, new URL(`http://localhost:${port}/hook`), { readBody: false })
    expect([unread.status, unread.body.length]).toEqual([200, 0])
    expect(received).toEqual(['POST /hook', 'POST /redirect', 'GET /hook'])
  })

  it('refuses schemes other than http and https', async () => {
    await expect(guardedRequest(createOutboundGuard(), new URL('file:///etc/passwd'))).rejects.toThrow(/only http/)
  })
})

import { networkInterfaces } from 'node:os'
import { afterEach, describe, expect, it } from 'vitest'
import { killAll, type Spawned, spawnServerMain } from '../../../test/server/processes.js'
import { isLoopback } from '../src/config/index.js'

afterEach(() => killAll())

/** This machine's first non-loopback IPv4 address: what another machine on the network would connect to. */
const lanAddress = Object.values(networkInterfaces())
  .flat()
  .find((net) => net && !net.internal && net.family === 'IPv4')?.address

async function started(env: Record<string, string>): Promise<{ server: Spawned; port: number }> {
  const server = spawnServerMain([], { PORT: '0', HOST: '', API_KEYS: '', ROLE: '', REDIS_URL: '', ...env })
  await server.line((line) => line.includes('backend ready'))
  const first = JSON.parse(await server.line((line) => line.includes('genimage server on'))) as { url: string }
  return { server, port: Number(new URL(first.url).port) }
}

const reachable = (host: string, port: number) =>
  fetch(`http://${host}:${port}/health`).then(
    (response) => response.status,
    () => 'refused',
  )

const warning = 'serves the API beyond this machine with no auth'

describe('genimage-server binds loopback unless HOST says otherwise', () => {
  it('without HOST: listens on 127.0.0.1 only and warns about nothing', async () => {
    const { server, port } = await started({})
    expect(await reachable('127.0.0.1', port)).toBe(200)
    if (lanAddress) expect(await reachable(lanAddress, port)).toBe('refused')
    expect(server.output()).toContain(`"url":"http://127.0.0.1:${port}"`)
    expect(server.output()).not.toContain(warning)
  })

  it('HOST=0.0.0.0 without API_KEYS: serves every interface and warns once, naming API_KEYS', async () => {
    const { server, port } = await started({ HOST: '0.0.0.0' })
    if (lanAddress) expect(await reachable(lanAddress, port)).toBe(200)
    const lines = server
      .output()
      .split('\n')
      .filter((line) => line.includes(warning))
    expect(lines).toHaveLength(1)
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 40, host: '0.0.0.0' })
    expect(lines[0]).toContain('set API_KEYS')
  })

  it('HOST=0.0.0.0 with API_KEYS: no warning', async () => {
    const { server } = await started({ HOST: '0.0.0.0', API_KEYS: 'k1' })
    expect(server.output()).not.toContain(warning)
  })
})

describe('isLoopback', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.8.0.1', true],
    ['localhost', true],
    ['::1', true],
    ['[::1]', true],
    ['0.0.0.0', false],
    ['::', false],
    ['192.0.2.2', false],
  ])('%s → %s', (host, expected) => expect(isLoopback(host)).toBe(expected))
})

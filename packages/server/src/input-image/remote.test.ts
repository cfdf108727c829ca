import type { LookupAddress } from 'node:dns'
import { describe, expect, it } from 'vitest'
import { createRemoteImageFetcher } from './remote.js'

/** Every made-up name resolves to a private address, as a DNS-rebinding attacker would arrange. */
const privateDns = ((_hostname: string, _options: unknown, callback: (e: Error | null, a: LookupAddress[]) => void) =>
  callback(null, [{ address: '10.0.0.7', family: 4 }])) as never

describe('createRemoteImageFetcher', () => {
  it('never reaches loopback or private addresses, allowlisted host or not', async () => {
    const fetchImage = createRemoteImageFetcher({ lookup: privateDns, timeoutMs: 2000 })
    const loopback = await fetchImage(new URL('http://127.0.0.1:9/fox.png'), { maxBytes: 1024 }).catch((e: Error) => e)
    expect(loopback).toMatchObject({ name: 'OutboundRefusedError' })
    const rebound = await fetchImage(new URL('http://cdn.example.test/fox.png'), { maxBytes: 1024 }).catch(
      (e: Error) => e,
    )
    expect(rebound).toMatchObject({ name: 'OutboundRefusedError' })
  })
})

import { createServer } from 'node:net'

/** Whether `port` on 127.0.0.1 could be bound a moment ago. */
const isFree = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const probe = createServer()
    probe.once('error', () => resolve(false))
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)))
  })

/**
 * A port p such that p … p + count − 1 were all free a moment ago, for servers that listen on consecutive ports (a
 * ComfyUI pool). Picked at random below the ephemeral range (Linux 32768–60999, macOS 49152–65535): a port from that
 * range, as `freePort` gives, can be taken by an outgoing connection of a test running beside this one before the
 * servers bind it, and a supervised instance then never becomes ready.
 */
export async function freePortRange(count: number): Promise<number> {
  for (;;) {
    const base = 20_000 + Math.floor(Math.random() * (12_000 - count))
    const free = await Promise.all(Array.from({ length: count }, (_, index) => isFree(base + index)))
    if (free.every(Boolean)) return base
  }
}

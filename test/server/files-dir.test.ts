import { execFileSync } from 'node:child_process'
import { mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createClient } from '@genimage/client'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { eventually, killAll, spawnServerMain } from './processes.js'

let dir: string
afterEach(async () => {
  killAll()
  await rm(dir, { recursive: true, force: true })
})

/** Spawns `genimage-server` (synthetic backend) with FILES_DIR and `env`; resolves with its URL once it is ready. */
const startServer = async (env: Record<string, string>): Promise<string> => {
  dir = await mkdtemp(join(tmpdir(), 'genimage-files-dir-'))
  await mkdir(join(dir, 'files'))
  const server = spawnServerMain([], {
    PORT: '0',
    HOST: '127.0.0.1',
    SYNTHETIC_STEP_MS: '0',
    FILES_DIR: join(dir, 'files'),
    ...env,
  })
  // The first log line with a URL says where it listens; /ready says when it takes generations.
  const { url } = JSON.parse(await server.line((line) => line.includes('"url":'))) as { url: string }
  await eventually(async () => ((await fetch(`${url}/ready`)).ok ? true : undefined), 'the server to be ready')
  return url
}

const bytesIn = async (path: string): Promise<number> => {
  let total = 0
  for (const name of await readdir(path)) total += (await stat(join(path, name))).size
  return total
}

describe('genimage-server with FILES_DIR', () => {
  it('stays within FILES_MAX_BYTES: the oldest images are deleted first and answer 404', async () => {
    const budget = 400_000
    const url = await startServer({ FILES_MAX_BYTES: String(budget) })
    const client = createClient({ baseUrl: url, retry: false })
    const urls: string[] = []
    let largest = 0
    for (let seed = 1; seed <= 12; seed++) {
      const { image } = await client.generate({ prompt: 'fills the disk', width: 1024, height: 1024, seed })
      urls.push(image.url)
      largest = Math.max(largest, image.file_size)
      expect(await bytesIn(join(dir, 'files'))).toBeLessThanOrEqual(budget)
    }
    // The budget held more than one image and fewer than twelve: some were deleted, the newest kept.
    expect(largest * 12).toBeGreaterThan(budget)
    expect((await fetch(urls[0]!)).status).toBe(404)
    expect((await fetch(urls.at(-1)!)).status).toBe(200)
  })

  it('deletes images older than FILES_RETENTION_S, which answer 404 from then on', async () => {
    const url = await startServer({ FILES_RETENTION_S: '1' })
    const client = createClient({ baseUrl: url, retry: false })
    const { image } = await client.generate({ prompt: 'short-lived' })
    expect((await fetch(image.url)).status).toBe(200)
    await vi.waitFor(async () => expect((await fetch(image.url)).status).toBe(404), { timeout: 5000, interval: 200 })
    // The next put sweeps the expired file from the disk.
    await client.generate({ prompt: 'sweeps', seed: 7 })
    expect(await readdir(join(dir, 'files'))).toHaveLength(1)
  })

  it('answers 404 at once for a FIFO named like an image, and file I/O goes on', async () => {
    const url = await startServer({})
    execFileSync('mkfifo', [join(dir, 'files', 'fifo.png')])
    // More reads than libuv has threads (4): if opening blocked, every later file read would wait behind them.
    const reads = await Promise.all(
      Array.from({ length: 8 }, () => fetch(`${url}/files/fifo.png`, { signal: AbortSignal.timeout(5000) })),
    )
    expect(reads.map((response) => response.status)).toEqual(Array(8).fill(404))
    const { image } = await createClient({ baseUrl: url, retry: false }).generate({ prompt: 'after the fifo' })
    const file = await fetch(image.url, { signal: AbortSignal.timeout(5000) })
    expect(file.status).toBe(200)
    expect(file.headers.get('content-type')).toBe('image/png')
  })
})

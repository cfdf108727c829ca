import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { type RunningRedis, startRedis } from '../../../test/scale/redis-server.js'
import { killAll, spawnServerMain } from '../../../test/server/processes.js'

afterEach(() => killAll())

let redis: RunningRedis | undefined
let filesDir: string | undefined
afterAll(async () => {
  await redis?.stop()
  if (filesDir) await rm(filesDir, { recursive: true, force: true })
})

/** Starts `genimage-server` with `env` on a free loopback port and answers its `/metrics` text. */
async function scrape(env: Record<string, string>): Promise<{ type: string | null; text: string }> {
  const server = spawnServerMain([], { PORT: '0', HOST: '', API_KEYS: '', REDIS_URL: '', ROLE: '', ...env })
  const first = JSON.parse(await server.line((line) => line.includes('genimage server on'))) as { url: string }
  await server.line((line) => line.includes('backend ready'))
  const response = await fetch(`${first.url}/metrics`)
  expect(response.status).toBe(200)
  return { type: response.headers.get('content-type'), text: await response.text() }
}

/** Every family of a Prometheus text answer, by its `# TYPE` line. */
const families = (text: string) => [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((match) => match[1]!)

const runtime = [
  'process_cpu_user_seconds_total',
  'process_resident_memory_bytes',
  'nodejs_eventloop_lag_seconds',
  'nodejs_gc_duration_seconds',
  'nodejs_active_handles_total',
  'nodejs_heap_size_used_bytes',
]

describe('/metrics: core registry and prom-client process metrics in one Prometheus answer', () => {
  it('on an API node (ROLE=all): genimage_* families, then the runtime ones, each family once', async () => {
    const { type, text } = await scrape({})
    expect(type).toMatch(/^text\/plain; version=0\.0\.4/)
    const names = families(text)
    expect(names).toContain('genimage_jobs_total')
    expect(names).toEqual(expect.arrayContaining(runtime))
    expect(new Set(names).size).toBe(names.length)
    expect(text).toMatch(/^process_resident_memory_bytes [1-9]\d*$/m)
    expect(text.endsWith('\n')).toBe(true)
  })

  it('on a worker (ROLE=worker)', async () => {
    redis = await startRedis()
    filesDir = await mkdtemp(join(tmpdir(), 'genimage-metrics-'))
    const { text } = await scrape({ ROLE: 'worker', REDIS_URL: redis.url, FILES_DIR: filesDir })
    const names = families(text)
    expect(names.some((name) => name.startsWith('genimage_'))).toBe(true)
    expect(names).toEqual(expect.arrayContaining(runtime))
    expect(new Set(names).size).toBe(names.length)
  })
})

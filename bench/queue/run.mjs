// Queue overhead: what the Redis (BullMQ) queue adds to each job compared with the embedded in-memory queue, and
// how many submit + status pairs one API node answers with Redis. Real processes of the built server on loopback,
// synthetic backend with SYNTHETIC_STEP_MS=0 (so the job itself costs almost nothing), images in one FILES_DIR.
//   A. Added latency: sequential POST /generate (sync: accepted → run on a worker → stored → answered), interleaved
//      across variants: embedded (ROLE=all, no REDIS_URL), Redis in one process (ROLE=all + REDIS_URL) and Redis
//      split (ROLE=api + ROLE=worker). Added latency = Redis variant − embedded, per percentile.
//   B. API-node throughput: `clients` concurrent loops of POST /queue/generate then GET …/status for `seconds`,
//      jobs left waiting (embedded: a synthetic step of 60 s holds its one slot; Redis: an API node, no worker).
// Usage: npx turbo run build --filter=@genimage/server... && node bench/queue/run.mjs [requests=300] [clients=16] [seconds=5]
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePort, percentile, printTable, writeResult } from '../lib.mjs'

const requests = Number(process.argv[2] ?? 300)
const clients = Number(process.argv[3] ?? 16)
const seconds = Number(process.argv[4] ?? 5)
const warmup = 20
const root = fileURLToPath(new URL('../..', import.meta.url))
const body = { width: 256, height: 256, num_inference_steps: 1 }

const children = []
let stopping = false
const launch = (command, args, env = {}) => {
  const child = spawn(command, args, {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  children.push(child)
  child.once('exit', (code, signal) => {
    if (!stopping) {
      console.error(`${command} ${args.join(' ')} exited (${code ?? signal})`)
      process.exit(1)
    }
  })
  return child
}
process.on('exit', () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
})

const waitFor = async (url, what, ok = (response) => response.ok) => {
  const deadline = Date.now() + 60_000
  for (;;) {
    if (await fetch(url).then(ok, () => false)) return
    if (Date.now() > deadline) throw new Error(`${what} did not come up at ${url}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

const loadAtStart = loadavg()[0]
const filesDir = await mkdtemp(join(tmpdir(), 'genimage-bench-queue-'))
const redisPort = await freePort()
launch('redis-server', [
  '--port',
  String(redisPort),
  '--bind',
  '127.0.0.1',
  '--save',
  '',
  '--appendonly',
  'no',
  '--dir',
  filesDir,
])
// One Redis, one database per variant: no variant's worker takes another's jobs.
const redisUrl = (db) => `redis://127.0.0.1:${redisPort}/${db}`

/** Starts `genimage-server` with `env`; resolves with its URL once `/ready` answers `ready` (or `readyCheck`). */
const server = async (env, readyCheck) => {
  const port = await freePort()
  launch(process.execPath, ['packages/server/bin/genimage-server.js'], {
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    FILES_DIR: filesDir,
    SYNTHETIC_STEP_MS: '0',
    MAX_QUEUE: '100000',
    ...env,
  })
  const url = `http://127.0.0.1:${port}`
  await waitFor(`${url}/${readyCheck ?? 'ready'}`, env.ROLE ?? 'all')
  return url
}

// A. Added latency per job.
const variants = [
  { name: 'embedded queue (ROLE=all)', url: await server({}) },
  { name: 'Redis queue, one process (ROLE=all + REDIS_URL)', url: await server({ REDIS_URL: redisUrl(0) }) },
]
await server({ ROLE: 'worker', REDIS_URL: redisUrl(1) }, 'health')
variants.push({
  name: 'Redis queue, API node + worker process',
  url: await server({ ROLE: 'api', REDIS_URL: redisUrl(1) }),
})

const generate = async (url, index) => {
  const started = performance.now()
  const response = await fetch(`${url}/generate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...body, prompt: `queue bench ${index}`, seed: index }),
  })
  const result = await response.json()
  if (response.status !== 200) throw new Error(`${url}: ${response.status} ${JSON.stringify(result)}`)
  return performance.now() - started
}
for (const variant of variants) {
  variant.samples = []
  for (let index = 0; index < warmup; index += 1) await generate(variant.url, 1_000_000 + index)
}
for (let index = 0; index < requests; index += 1) {
  for (const variant of variants) variant.samples.push(await generate(variant.url, index))
}

const round = (value) => Math.round(value * 100) / 100
const stats = (values) => ({
  p50: round(percentile(values, 50)),
  p90: round(percentile(values, 90)),
  p99: round(percentile(values, 99)),
  min: round(Math.min(...values)),
  max: round(Math.max(...values)),
})
const baseline = stats(variants[0].samples)
const latency = variants.map((variant) => {
  const own = stats(variant.samples)
  return {
    variant: variant.name,
    requests: variant.samples.length,
    latency_ms: own,
    added_vs_embedded_ms: { p50: round(own.p50 - baseline.p50), p99: round(own.p99 - baseline.p99) },
    ratio_p50_vs_embedded: round(own.p50 / baseline.p50),
  }
})

// B. Submit + status throughput of one API node, jobs left waiting.
const hold = { SYNTHETIC_STEP_MS: '60000', JOB_TIMEOUT_MS: '3600000' }
const throughputVariants = [
  { name: 'embedded queue (ROLE=all)', url: await server(hold) },
  {
    name: 'Redis queue, API node (ROLE=api, no worker)',
    url: await server({ ROLE: 'api', REDIS_URL: redisUrl(2) }, 'health'),
  },
]
const pairs = async (url) => {
  let done = 0
  const latencies = []
  const deadline = performance.now() + seconds * 1000
  const loop = async (client) => {
    for (let index = 0; performance.now() < deadline; index += 1) {
      const started = performance.now()
      const submitted = await fetch(`${url}/queue/generate`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ...body, prompt: `throughput ${client} ${index}` }),
      })
      const { request_id: id } = await submitted.json()
      if (submitted.status !== 202) throw new Error(`${url}: submit answered ${submitted.status}`)
      const status = await fetch(`${url}/queue/requests/${id}/status`)
      if (status.status !== 200) throw new Error(`${url}: status answered ${status.status}`)
      await status.arrayBuffer()
      latencies.push(performance.now() - started)
      done += 1
    }
  }
  const started = performance.now()
  await Promise.all(Array.from({ length: clients }, (_, client) => loop(client)))
  const elapsed = (performance.now() - started) / 1000
  return { pairs: done, pairs_per_s: round(done / elapsed), pair_latency_ms: stats(latencies) }
}
const throughput = []
for (const variant of throughputVariants) throughput.push({ variant: variant.name, ...(await pairs(variant.url)) })

stopping = true
for (const child of children) child.kill('SIGTERM')
await new Promise((resolve) => setTimeout(resolve, 500))
await rm(filesDir, { recursive: true, force: true })

printTable(
  latency.map((row) => ({
    variant: row.variant,
    n: row.requests,
    'p50 ms': row.latency_ms.p50,
    'p99 ms': row.latency_ms.p99,
    'added p50': row.added_vs_embedded_ms.p50,
    'added p99': row.added_vs_embedded_ms.p99,
    'ratio p50': row.ratio_p50_vs_embedded,
  })),
)
console.log()
printTable(
  throughput.map((row) => ({
    variant: row.variant,
    pairs: row.pairs,
    'pairs/s': row.pairs_per_s,
    'pair p50 ms': row.pair_latency_ms.p50,
    'pair p99 ms': row.pair_latency_ms.p99,
  })),
)
const redisSplit = latency[2]
const path = await writeResult('queue', {
  bench: 'queue overhead: Redis (BullMQ) queue vs the embedded queue, loopback, synthetic backend at 0 ms per step',
  settings: {
    sequential_requests_per_variant: requests,
    warmup_per_variant: warmup,
    request: body,
    order: 'sequential POST /generate, interleaved across variants',
    throughput: { clients, seconds, pair: 'POST /queue/generate then GET /queue/requests/{id}/status' },
    redis: 'redis-server on loopback, no persistence (--save "" --appendonly no)',
  },
  // The machine is shared: a 1-minute load average above its core count means other work competed for the CPU.
  load_average_1m: { start: round(loadAtStart), end: round(loadavg()[0]) },
  target: {
    added_latency_p50_ms: 2,
    measured_added_p50_ms: redisSplit.added_vs_embedded_ms.p50,
    met: redisSplit.added_vs_embedded_ms.p50 <= 2,
  },
  latency,
  throughput,
})
console.log(`\nwrote ${path}`)

/**
 * The pool benchmark, run on the GPU machine by `run.sh` (bundled by `build.mjs`): for each pool in `GP_POOLS`
 * (`GPUS/COMFYUI_PER_GPU` entries separated by spaces, `-` for the default GPUS; default `-/1 -/2 -/3 -/4`) it starts
 * genimage-server supervising real ComfyUI with those settings, waits until every instance is ready, and measures 16 concurrent clients at 512² 1 step (images/s, latency, queue time),
 * then a FIFO burst. On the last pool it then SIGKILLs one ComfyUI instance in the middle
 * of a run: every request must still answer 200 with an image, and the instance must come back.
 * Writes `$OUT/results.json`; logs go to `$GP_WORK/logs/`.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { createWriteStream, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const env = process.env
const REPO = env.GP_REPO ?? process.cwd()
const WORK = env.GP_WORK ?? '/tmp/gp'
const OUT = env.OUT ?? join(WORK, 'out')
const LOGS = join(WORK, 'logs')
const BUNDLE = join(REPO, 'bench/.tmp/pool')
const COMFY_DIR = env.COMFYUI_DIR ?? join(REPO, '.vendor/ComfyUI')
const MODELS = join(WORK, 'models')
const FRONTEND = join(WORK, 'fe')
const PORT = Number(env.GP_PORT ?? 8787)
/** Port of instance 0; instance i listens on COMFY_PORT + i. */
const COMFY_PORT = Number(env.GP_COMFY_PORT ?? 8188)
const BASE = `http://127.0.0.1:${PORT}`
interface PoolConfig {
  /** `GPUS`, or undefined for the server's default. */
  gpus: string | undefined
  perGpu: number
  tag: string
}
const POOLS: PoolConfig[] = (env.GP_POOLS ?? '-/1 -/2 -/3 -/4').split(/\s+/).map((entry, index) => {
  const [gpus, perGpu] = entry.split('/')
  return { gpus: gpus === '-' ? undefined : gpus, perGpu: Number(perGpu), tag: `pool${index + 1}` }
})
/** Requests per measured run. */
const N = Number(env.GP_N ?? 96)
const CLIENTS = Number(env.GP_CLIENTS ?? 16)
/** Sizes whose server would start later than this after launch are skipped, so the call ends inside its limit. */
const BUDGET_MS = Number(env.GP_BUDGET_S ?? 1e9) * 1000
const t0 = Date.now()
for (const dir of [OUT, LOGS, FRONTEND, join(MODELS, 'checkpoints')]) mkdirSync(dir, { recursive: true })

const log = (...parts: unknown[]): void =>
  console.log(
    `[${((Date.now() - t0) / 1000).toFixed(1).padStart(6)}s] ${parts.map((p) => (typeof p === 'string' ? p : JSON.stringify(p))).join(' ')}`,
  )
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const now = () => performance.now()
const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits
const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN
}
const stats = (values: number[]) => ({
  n: values.length,
  p50: round(percentile(values, 50)),
  p90: round(percentile(values, 90)),
  p99: round(percentile(values, 99)),
  max: round(Math.max(...values)),
})

const results: Record<string, any> = {
  commit: readFileSync(join(BUNDLE, 'commit.txt'), 'utf8').trim(),
  topology: 'embedded (ROLE=all: API and worker in one process, in-memory queue)',
  clients: CLIENTS,
  requests_per_run: N,
  request: '512x512, 1 step, png, fresh prompt per request; POST /generate then GET the image',
  pools: [] as unknown[],
}
const save = (): void => writeFileSync(join(OUT, 'results.json'), `${JSON.stringify(results, null, 1)}\n`)

interface Server {
  child: ChildProcess
  lines: string[]
  exited: Promise<number | null>
}

function startServer(pool: PoolConfig): Server {
  const file = createWriteStream(join(LOGS, `server-${pool.tag}.log`))
  const child = spawn(process.execPath, [join(BUNDLE, 'pkg/dist/server.mjs')], {
    cwd: REPO,
    env: {
      ...process.env,
      PORT: String(PORT),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      MAX_QUEUE: '1000',
      JOB_TIMEOUT_MS: '300000',
      SHUTDOWN_GRACE_MS: '2000',
      COMFYUI_DIR: COMFY_DIR,
      COMFYUI_PYTHON: env.GP_PYTHON ?? 'python3',
      COMFYUI_PORT: String(COMFY_PORT),
      // Unset: the server's default (CUDA_VISIBLE_DEVICES, else nvidia-smi -L).
      ...(pool.gpus ? { GPUS: pool.gpus } : {}),
      COMFYUI_PER_GPU: String(pool.perGpu),
      MODELS_DIR: MODELS,
      SKIP_WEIGHTS_DOWNLOAD: '1',
      // An in-memory database per instance (ComfyUI's sqlite file would be shared); no front-end package here.
      COMFYUI_ARGS: `--front-end-root ${FRONTEND} --database-url sqlite:///:memory: ${env.GP_COMFY_ARGS ?? ''}`,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  })
  const server: Server = { child, lines: [], exited: new Promise((resolve) => child.once('exit', resolve)) }
  const onData = (chunk: Buffer) => {
    file.write(chunk)
    server.lines.push(...chunk.toString().split('\n').filter(Boolean))
  }
  child.stdout!.on('data', onData)
  child.stderr!.on('data', onData)
  return server
}

async function stopServer(server: Server): Promise<void> {
  if (server.child.exitCode === null) process.kill(server.child.pid!, 'SIGTERM')
  const stopped = await Promise.race([server.exited.then(() => true), sleep(30_000).then(() => false)])
  if (!stopped) log('server did not stop in 30 s; killing its group and every ComfyUI it started')
  for (const pid of [server.child.pid!, ...comfyPids(server).map((entry) => entry.pid)]) {
    try {
      process.kill(-pid, 'SIGKILL')
    } catch {}
  }
}

/** The ComfyUI processes the server started, from its `starting` log lines, newest last. */
function comfyPids(server: Server): { pid: number; instance: number }[] {
  const found: { pid: number; instance: number }[] = []
  for (const line of server.lines) {
    if (!line.includes('"event":"starting"')) continue
    try {
      const record = JSON.parse(line) as { pid: number; instance: number }
      found.push({ pid: record.pid, instance: record.instance })
    } catch {}
  }
  return found
}

async function text(path: string): Promise<string | undefined> {
  try {
    const response = await fetch(`${BASE}${path}`, { signal: AbortSignal.timeout(5000) })
    return response.ok ? await response.text() : undefined
  } catch {
    return undefined
  }
}

/** Instances in /metrics, and how many of them report ready. */
async function instances(): Promise<{ total: number; ready: number }> {
  const metrics = (await text('/metrics')) ?? ''
  const values = [...metrics.matchAll(/^genimage_comfyui_instance_ready\{[^}]*\} (\d)$/gm)].map((m) => m[1])
  return { total: values.length, ready: values.filter((value) => value === '1').length }
}

async function metricSum(name: string, filter = ''): Promise<number> {
  const metrics = (await text('/metrics')) ?? ''
  let sum = 0
  for (const match of metrics.matchAll(new RegExp(`^${name}\\{([^}]*)\\} (\\S+)$`, 'gm'))) {
    if (match[1]!.includes(filter)) sum += Number(match[2])
  }
  return sum
}

/** Waits until every instance is ready; resolves with the time it took and the number of instances. */
async function waitAllReady(server: Server, timeoutMs: number): Promise<{ ms: number; size: number }> {
  const started = now()
  for (;;) {
    const { total, ready } = await instances()
    if (total > 0 && ready === total) return { ms: now() - started, size: total }
    if (server.child.exitCode !== null) throw new Error(`server exited (${server.child.exitCode})`)
    if (now() - started > timeoutMs) throw new Error(`${ready} of ${total} instances ready after ${timeoutMs} ms`)
    await sleep(100)
  }
}

let counter = 0
const SUBJECTS = ['a red fox in snow', 'a lighthouse at dusk', 'a bowl of ramen', 'a mountain lake', 'an old ship']

interface Row {
  ms: number
  queueMs: number
  status: number
  sent: number
}

/** POST /generate (a fresh prompt) and GET the image; never throws: failures are rows with their status. */
async function generate(tag: string): Promise<Row> {
  counter += 1
  const sent = now()
  try {
    const response = await fetch(`${BASE}/generate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        prompt: `${SUBJECTS[counter % SUBJECTS.length]}, ${tag} ${counter} ${Date.now() % 100_000}`,
        width: 512,
        height: 512,
        num_inference_steps: 1,
        output_format: 'png',
      }),
    })
    const json = (await response.json()) as { image?: { url: string }; timings?: { queue_ms?: number } }
    if (response.status !== 200 || !json.image) return { ms: now() - sent, queueMs: 0, status: response.status, sent }
    const image = await fetch(new URL(json.image.url, BASE))
    const bytes = new Uint8Array(await image.arrayBuffer())
    const ok = image.status === 200 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47 // PNG
    return { ms: now() - sent, queueMs: json.timings?.queue_ms ?? 0, status: ok ? 200 : -image.status, sent }
  } catch {
    return { ms: now() - sent, queueMs: 0, status: 0, sent }
  }
}

/** `total` requests from `CLIENTS` clients, each sending its next request when its last one answered. */
async function closedLoop(total: number, tag: string, during?: () => Promise<void>) {
  let next = 0
  const rows: Row[] = []
  const started = now()
  await Promise.all([
    ...Array.from({ length: CLIENTS }, async () => {
      while (next < total) {
        next += 1
        rows.push(await generate(tag))
      }
    }),
    during?.(),
  ])
  const wallMs = now() - started
  const ok = rows.filter((row) => row.status === 200)
  return {
    rows,
    summary: {
      requests: rows.length,
      ok: ok.length,
      failed: rows.length - ok.length,
      images_per_s: round((ok.length / wallMs) * 1000, 2),
      latency_ms: stats(ok.map((row) => row.ms)),
      queue_ms: stats(ok.map((row) => row.queueMs)),
    },
  }
}

/**
 * FIFO: 16 requests submitted back to back through the queue API (each after the last one's 202, so they were accepted
 * in index order). A job started at accept + queue_ms, and its accept lies between its send and its 202: job j started
 * before an earlier job i for sure only when 202_j + queue_ms_j < send_i + queue_ms_i. Those are counted as violations;
 * the 202 round trips bound what cannot be told apart.
 */
async function fifoBurst() {
  const submitted: { id: string; sent: number; accepted: number }[] = []
  for (let index = 0; index < 16; index += 1) {
    counter += 1
    const sent = now()
    const response = await fetch(`${BASE}/queue/generate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        prompt: `fifo ${counter} ${Date.now() % 100_000}`,
        width: 512,
        height: 512,
        num_inference_steps: 1,
      }),
    })
    const { request_id: id } = (await response.json()) as { request_id: string }
    submitted.push({ id, sent, accepted: now() })
  }
  const queueMs = await Promise.all(
    submitted.map(async ({ id }) => {
      for (;;) {
        const status = (await (await fetch(`${BASE}/queue/requests/${id}/status`)).json()) as { status: string }
        if (status.status === 'COMPLETED') break
        await sleep(5)
      }
      const result = (await (await fetch(`${BASE}/queue/requests/${id}`)).json()) as { timings?: { queue_ms?: number } }
      return result.timings?.queue_ms ?? Number.NaN
    }),
  )
  let violations = 0
  for (let j = 0; j < submitted.length; j += 1) {
    for (let i = 0; i < j; i += 1) {
      if (submitted[j]!.accepted + queueMs[j]! < submitted[i]!.sent + queueMs[i]!) violations += 1
    }
  }
  const startOrder = submitted
    .map((entry, index) => ({ index, start: (entry.sent + entry.accepted) / 2 + queueMs[index]! }))
    .sort((a, b) => a.start - b.start)
    .map((entry) => entry.index)
  return {
    fifo_violations: violations,
    start_order_estimate: startOrder,
    accept_round_trip_ms: stats(submitted.map((entry) => entry.accepted - entry.sent)),
  }
}

async function measurePool(pool: PoolConfig, kill: boolean): Promise<void> {
  const settings = `GPUS=${pool.gpus ?? '(default)'} COMFYUI_PER_GPU=${pool.perGpu}`
  log(`${pool.tag}: starting genimage-server with ${settings}`)
  const server = startServer(pool)
  try {
    const { ms: bootMs, size } = await waitAllReady(server, 300_000)
    log(`${pool.tag}: ${size} instance(s) ready after ${round(bootMs / 1000)} s`)
    const layout = server.lines.find((line) => line.includes('ComfyUI supervised from'))
    const description = layout ? (JSON.parse(layout) as { msg: string }).msg : undefined
    await closedLoop(CLIENTS, 'warm')
    const run = await closedLoop(N, 'run')
    log(`${pool.tag}:`, run.summary)
    const fifo = await fifoBurst()
    log(`${pool.tag}: FIFO`, fifo)
    const entry: Record<string, unknown> = {
      settings,
      comfyui_instances: size,
      server_says: description,
      all_ready_s: round(bootMs / 1000),
      ...run.summary,
      fifo,
    }
    if (kill) entry['kill'] = await killDuringRun(server, size)
    results.pools.push(entry)
    save()
  } finally {
    await stopServer(server)
  }
}

/** SIGKILLs the ComfyUI of instance 1 (or 0) a second into a run; every request must still get its image. */
async function killDuringRun(server: Server, size: number) {
  const victimIndex = size > 1 ? 1 : 0
  let killed: { pid: number; instance: number; at_s: number } | undefined
  const movedBefore = await metricSum('genimage_comfyui_instance_jobs_total', 'outcome="moved"')
  const started = now()
  const run = await closedLoop(N, 'kill', async () => {
    await sleep(1000)
    const victim = comfyPids(server)
      .filter((entry) => entry.instance === victimIndex)
      .at(-1)!
    process.kill(victim.pid, 'SIGKILL')
    killed = { ...victim, at_s: round((now() - started) / 1000, 2) }
    log(`kill: SIGKILL ComfyUI instance ${victim.instance} (pid ${victim.pid})`)
  })
  log('kill: run', run.summary)
  const back = await waitAllReady(server, 120_000)
  const after = await closedLoop(CLIENTS, 'after-kill')
  const restarted = comfyPids(server).filter((entry) => entry.instance === victimIndex)
  return {
    killed,
    run: run.summary,
    jobs_moved: (await metricSum('genimage_comfyui_instance_jobs_total', 'outcome="moved"')) - movedBefore,
    instance_restarts: await metricSum('genimage_comfyui_instance_restarts_total', `instance="${victimIndex}"`),
    new_pid: restarted.at(-1)?.pid,
    all_ready_again_s_after_run: round(back.ms / 1000),
    after_restart: after.summary,
  }
}

for (const [index, pool] of POOLS.entries()) {
  if (Date.now() - t0 > BUDGET_MS) {
    log(`${pool.tag}: skipped (past GP_BUDGET_S)`)
    continue
  }
  try {
    await measurePool(pool, index === POOLS.length - 1 && env.GP_KILL !== '0')
  } catch (error) {
    log(`${pool.tag}: failed: ${(error as Error).stack}`)
    results.pools.push({
      settings: `GPUS=${pool.gpus ?? '(default)'} COMFYUI_PER_GPU=${pool.perGpu}`,
      error: (error as Error).message,
    })
    save()
  }
}
const one = results.pools.find((entry: any) => entry.comfyui_instances === 1 && entry.images_per_s)
for (const entry of results.pools) {
  if (one && entry.images_per_s) entry.ratio_vs_one = round(entry.images_per_s / one.images_per_s, 2)
}
save()
log(
  'done',
  results.pools.map((entry: any) => [entry.settings, entry.images_per_s, entry.ratio_vs_one]),
)

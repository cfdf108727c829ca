/**
 * The pool benchmark over Redis (issue 9 #6), run on the GPU machine by `run.sh` when `GP_DRIVER=redis` (bundled by
 * `build.mjs`): one Redis (`.vendor/redis`, AOF on), one API node (`ROLE=api`) on `GP_PORT`, and one worker
 * (`ROLE=worker`, health and metrics on `GP_PORT + 1`) at a time, each stage of `GP_PLAN` starting a fresh worker with
 * its `GPUS` × `COMFYUI_PER_GPU` pool of real ComfyUI; the API node, Redis and the image directory (`FILES_DIR`)
 * stay up across stages. Per stage: wait until every instance is ready and warmed (batch sizes too), 2 × 16 warm-up
 * requests, `GP_N` requests from 16 clients, a FIFO burst; stages flagged `kill` then SIGKILL one ComfyUI instance a
 * second into another run. Writes `$OUT/results.json`; logs go to `$GP_WORK/logs/`.
 *
 * `GP_PLAN`: stages separated by spaces, each `name=GPUS/PER_GPU[:flag…]`; flags: `kill` (the kill test after the
 * measurement), `threads` (`OMP_NUM_THREADS` and `MKL_NUM_THREADS` = CPU cores / instances for the worker and its
 * ComfyUI), `best` (`threads` only if an earlier `threads` stage beat the same pool without it). Without those flags the
 * worker decides: since commit a865405 it gives every instance cores ÷ instances threads itself (`COMFYUI_THREADS`
 * automatic); the driver removes `OMP_NUM_THREADS` and `MKL_NUM_THREADS` from its own environment first, so a value
 * the machine sets cannot stand in for that default, and records what each ComfyUI process got. A stage whose estimated
 * cost would end past `GP_BUDGET_S` is skipped; at `GP_HARD_S` the driver saves what it has, kills what it started and
 * exits.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { createWriteStream, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
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
const FILES = join(WORK, 'files')
const REDIS_DIR = env.GP_REDIS_DIR ?? join(REPO, '.vendor/redis')
const REDIS_PORT = Number(env.GP_REDIS_PORT ?? 6390)
const REDIS_URL = `redis://127.0.0.1:${REDIS_PORT}`
const PORT = Number(env.GP_PORT ?? 8787)
const WORKER_PORT = PORT + 1
const COMFY_PORT = Number(env.GP_COMFY_PORT ?? 8188)
const BASE = `http://127.0.0.1:${PORT}`
const WORKER_BASE = `http://127.0.0.1:${WORKER_PORT}`
const N = Number(env.GP_N ?? 160)
const CLIENTS = Number(env.GP_CLIENTS ?? 16)
const BUDGET_MS = Number(env.GP_BUDGET_S ?? 1e9) * 1000
const HARD_MS = Math.min(Number(env.GP_HARD_S ?? 1e6) * 1000, 2 ** 31 - 1) // setTimeout takes at most 2³¹−1 ms
const CORES = cpus().length
/** Thread variables this machine set, recorded, then removed: the worker's own default is what is measured. */
const INHERITED_THREAD_ENV = { OMP_NUM_THREADS: env.OMP_NUM_THREADS, MKL_NUM_THREADS: env.MKL_NUM_THREADS }
delete env.OMP_NUM_THREADS
delete env.MKL_NUM_THREADS
const t0 = Date.now()
for (const dir of [OUT, LOGS, FRONTEND, FILES, join(MODELS, 'checkpoints'), join(WORK, 'redis')])
  mkdirSync(dir, { recursive: true })

interface Stage {
  name: string
  gpus: string
  perGpu: number
  kill: boolean
  threads: 'on' | 'off' | 'best'
}
const PLAN: Stage[] = (env.GP_PLAN ?? 'one=0/1 A1=0,1/1 A2=0,1/2:kill A2t=0,1/2:threads A4=0,1/4:best')
  .split(/\s+/)
  .filter(Boolean)
  .map((entry) => {
    const [name, rest] = entry.split('=') as [string, string]
    const [pool, ...flags] = rest.split(':')
    const [gpus, perGpu] = pool!.split('/') as [string, string]
    return {
      name,
      gpus,
      perGpu: Number(perGpu),
      kill: flags.includes('kill'),
      threads: flags.includes('threads') ? 'on' : flags.includes('best') ? 'best' : 'off',
    }
  })

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
  topology:
    'Redis: one redis-server 7.0.15 (AOF on), one API node (ROLE=api, REDIS_URL) taking every request, one worker (ROLE=worker, REDIS_URL) per stage running the ComfyUI pool; images in one FILES_DIR',
  cpu_cores: CORES,
  inherited_thread_env: INHERITED_THREAD_ENV,
  clients: CLIENTS,
  requests_per_run: N,
  request: '512x512, 1 step, png, fresh prompt per request; POST /generate then GET the image, both on the API node',
  server_settings:
    'default path (FAST_PATH on, MAX_BATCH 8), WARM_SIZES=512x512 (batch sizes 2/4/8 warmed before measuring)',
  stages: [] as unknown[],
}
const save = (): void => writeFileSync(join(OUT, 'results.json'), `${JSON.stringify(results, null, 1)}\n`)

interface Proc {
  name: string
  child: ChildProcess
  lines: string[]
  exited: Promise<number | null>
}
const started: Proc[] = []

function startProc(name: string, command: string, args: string[], extraEnv: Record<string, string>): Proc {
  const file = createWriteStream(join(LOGS, `${name}.log`))
  const child = spawn(command, args, {
    cwd: REPO,
    env: { ...process.env, ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  })
  const proc: Proc = { name, child, lines: [], exited: new Promise((resolve) => child.once('exit', resolve)) }
  const onData = (chunk: Buffer) => {
    file.write(chunk)
    proc.lines.push(...chunk.toString().split('\n').filter(Boolean))
  }
  child.stdout!.on('data', onData)
  child.stderr!.on('data', onData)
  started.push(proc)
  return proc
}

const serverEnv = (role: 'api' | 'worker', port: number): Record<string, string> => ({
  ROLE: role,
  REDIS_URL,
  FILES_DIR: FILES,
  PORT: String(port),
  HOST: '127.0.0.1',
  LOG_LEVEL: 'info',
  MAX_QUEUE: '1000',
  JOB_TIMEOUT_MS: '300000',
  SHUTDOWN_GRACE_MS: '2000',
})

function startWorker(stage: Stage, threads: number | undefined): Proc {
  return startProc(`worker-${stage.name}`, process.execPath, [join(BUNDLE, 'pkg/dist/server.mjs')], {
    ...serverEnv('worker', WORKER_PORT),
    COMFYUI_DIR: COMFY_DIR,
    COMFYUI_PYTHON: env.GP_PYTHON ?? 'python3',
    COMFYUI_PORT: String(COMFY_PORT),
    GPUS: stage.gpus,
    COMFYUI_PER_GPU: String(stage.perGpu),
    MODELS_DIR: MODELS,
    SKIP_WEIGHTS_DOWNLOAD: '1',
    WARM_SIZES: '512x512',
    COMFYUI_ARGS: `--front-end-root ${FRONTEND} --database-url sqlite:///:memory: ${env.GP_COMFY_ARGS ?? ''}`,
    ...(threads ? { OMP_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads) } : {}),
  })
}

function killProc(proc: Proc): void {
  for (const pid of [proc.child.pid!, ...comfyPids(proc).map((entry) => entry.pid)]) {
    try {
      process.kill(-pid, 'SIGKILL')
    } catch {}
    try {
      process.kill(pid, 'SIGKILL')
    } catch {}
  }
}

async function stopWorker(proc: Proc): Promise<void> {
  if (proc.child.exitCode === null) process.kill(proc.child.pid!, 'SIGTERM')
  const stopped = await Promise.race([proc.exited.then(() => true), sleep(4000).then(() => false)])
  if (!stopped) log(`${proc.name}: did not stop in 4 s; SIGKILL to it and its ComfyUI`)
  killProc(proc)
  await sleep(500)
}

/** What each ComfyUI process of a worker runs with: its thread variables and, from /proc, its OS threads now. */
function comfyThreads(proc: Proc): Record<string, unknown>[] {
  const latest = new Map<number, number>()
  for (const { pid, instance } of comfyPids(proc)) latest.set(instance, pid)
  return [...latest].map(([instance, pid]) => {
    try {
      const environ = Object.fromEntries(
        readFileSync(`/proc/${pid}/environ`, 'utf8')
          .split('\0')
          .filter(Boolean)
          .map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]),
      )
      const osThreads = Number(/^Threads:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1])
      return {
        instance,
        pid,
        OMP_NUM_THREADS: environ['OMP_NUM_THREADS'],
        MKL_NUM_THREADS: environ['MKL_NUM_THREADS'],
        os_threads: osThreads,
      }
    } catch (error) {
      return { instance, pid, error: (error as Error).message }
    }
  })
}

function comfyPids(proc: Proc): { pid: number; instance: number }[] {
  const found: { pid: number; instance: number }[] = []
  for (const line of proc.lines) {
    if (!line.includes('"event":"starting"')) continue
    try {
      const record = JSON.parse(line) as { pid: number; instance: number }
      found.push({ pid: record.pid, instance: record.instance })
    } catch {}
  }
  return found
}

async function text(url: string): Promise<string | undefined> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(5000) })
    return response.ok ? await response.text() : undefined
  } catch {
    return undefined
  }
}

async function instances(): Promise<{ total: number; ready: number }> {
  const metrics = (await text(`${WORKER_BASE}/metrics`)) ?? ''
  const values = [...metrics.matchAll(/^genimage_comfyui_instance_ready\{[^}]*\} (\d)$/gm)].map((m) => m[1])
  return { total: values.length, ready: values.filter((value) => value === '1').length }
}

async function metricSum(name: string, filter = ''): Promise<number> {
  const metrics = (await text(`${WORKER_BASE}/metrics`)) ?? ''
  let sum = 0
  for (const match of metrics.matchAll(new RegExp(`^${name}\\{([^}]*)\\} (\\S+)$`, 'gm'))) {
    if (match[1]!.includes(filter)) sum += Number(match[2])
  }
  return sum
}

/** Every instance ready and the worker's /ready 200; then (bounded) every instance's warm-up after ready done. */
async function waitAllReady(proc: Proc, timeoutMs: number, warmed: boolean) {
  const begin = now()
  let size = 0
  for (;;) {
    const { total, ready } = await instances()
    if (total > 0 && ready === total && (await text(`${WORKER_BASE}/ready`)) !== undefined) {
      size = total
      break
    }
    if (proc.child.exitCode !== null) throw new Error(`${proc.name} exited (${proc.child.exitCode})`)
    if (now() - begin > timeoutMs) throw new Error(`${ready} of ${total} instances ready after ${timeoutMs} ms`)
    await sleep(100)
  }
  const readyMs = now() - begin
  if (warmed) {
    const until = now() + 30_000
    while (now() < until && proc.lines.filter((line) => line.includes('warm-up after ready')).length < size)
      await sleep(100)
  }
  return { readyMs, warmedMs: now() - begin, size }
}

let counter = 0
const SUBJECTS = ['a red fox in snow', 'a lighthouse at dusk', 'a bowl of ramen', 'a mountain lake', 'an old ship']
interface Row {
  ms: number
  queueMs: number
  status: number
}

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
    if (response.status !== 200 || !json.image) return { ms: now() - sent, queueMs: 0, status: response.status }
    const image = await fetch(new URL(json.image.url, BASE))
    const bytes = new Uint8Array(await image.arrayBuffer())
    const ok = image.status === 200 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47 // PNG
    return { ms: now() - sent, queueMs: json.timings?.queue_ms ?? 0, status: ok ? 200 : -image.status }
  } catch {
    return { ms: now() - sent, queueMs: 0, status: 0 }
  }
}

async function closedLoop(total: number, tag: string, during?: () => Promise<void>) {
  let next = 0
  const rows: Row[] = []
  const begin = now()
  await Promise.all([
    ...Array.from({ length: CLIENTS }, async () => {
      while (next < total) {
        next += 1
        rows.push(await generate(tag))
      }
    }),
    during?.(),
  ])
  const wallMs = now() - begin
  const ok = rows.filter((row) => row.status === 200)
  const statuses: Record<string, number> = {}
  for (const row of rows) statuses[row.status] = (statuses[row.status] ?? 0) + 1
  return {
    requests: rows.length,
    ok: ok.length,
    failed: rows.length - ok.length,
    statuses,
    wall_s: round(wallMs / 1000, 2),
    images_per_s: round((ok.length / wallMs) * 1000, 2),
    latency_ms: stats(ok.map((row) => row.ms)),
    queue_ms: stats(ok.map((row) => row.queueMs)),
  }
}

/** As in driver.ts: 16 back-to-back submissions through the API node; certain out-of-order starts are violations. */
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
  const until = now() + 60_000
  const queueMs = await Promise.all(
    submitted.map(async ({ id }) => {
      while (now() < until) {
        const status = (await (await fetch(`${BASE}/queue/requests/${id}/status`)).json()) as { status: string }
        if (status.status === 'COMPLETED') break
        await sleep(10)
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
    queue_ms_missing: queueMs.filter((value) => Number.isNaN(value)).length,
    start_order_estimate: startOrder,
    accept_round_trip_ms: stats(submitted.map((entry) => entry.accepted - entry.sent)),
  }
}

async function killDuringRun(worker: Proc, size: number) {
  const victimIndex = size > 1 ? 1 : 0
  let killed: { pid: number; instance: number; at_s: number } | undefined
  const movedBefore = await metricSum('genimage_comfyui_instance_jobs_total', 'outcome="moved"')
  const begin = now()
  const run = await closedLoop(N, 'kill', async () => {
    await sleep(1000)
    const victim = comfyPids(worker)
      .filter((entry) => entry.instance === victimIndex)
      .at(-1)!
    process.kill(victim.pid, 'SIGKILL')
    killed = { ...victim, at_s: round((now() - begin) / 1000, 2) }
    log(`kill: SIGKILL ComfyUI instance ${victim.instance} (pid ${victim.pid})`)
  })
  log('kill: run', run)
  const entry: Record<string, unknown> = {
    killed,
    run,
    nothing_lost: run.ok === run.requests && run.requests === N,
    jobs_moved: (await metricSum('genimage_comfyui_instance_jobs_total', 'outcome="moved"')) - movedBefore,
  }
  // The instance's return, if the budget allows.
  const left = Math.min(BUDGET_MS, HARD_MS - 20_000) - (Date.now() - t0)
  try {
    const back = await waitAllReady(worker, Math.max(1000, Math.min(60_000, left)), false)
    entry['all_ready_again_s_after_run'] = round(back.readyMs / 1000)
    entry['instance_restarts'] = await metricSum(
      'genimage_comfyui_instance_restarts_total',
      `instance="${victimIndex}"`,
    )
    entry['new_pid'] = comfyPids(worker)
      .filter((e) => e.instance === victimIndex)
      .at(-1)?.pid
    entry['after_restart'] = await closedLoop(CLIENTS, 'after-kill')
  } catch (error) {
    entry['restart_not_seen'] = (error as Error).message
  }
  return entry
}

let redis: Proc | undefined
let api: Proc | undefined
let current: Proc | undefined
const cleanup = () => {
  for (const proc of [current, api, redis]) if (proc) killProc(proc)
}
setTimeout(() => {
  log(`GP_HARD_S reached: saving and stopping`)
  results.stopped_by_hard_limit = true
  save()
  cleanup()
  process.exit(3)
}, HARD_MS).unref()

/** Rough seconds a stage takes: boot grows with the number of instances booting at once. */
const estimateS = (stage: Stage, size: number) => 30 + 6 * size + (stage.kill ? 30 : 0)

try {
  redis = startProc(
    'redis',
    join(REDIS_DIR, 'redis-server'),
    [
      '--port',
      String(REDIS_PORT),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'yes',
      '--dir',
      join(WORK, 'redis'),
    ],
    { LD_LIBRARY_PATH: join(REDIS_DIR, 'lib') },
  )
  api = startProc('api', process.execPath, [join(BUNDLE, 'pkg/dist/server.mjs')], serverEnv('api', PORT))
  for (let i = 0; ; i += 1) {
    if ((await text(`${BASE}/health`)) !== undefined && api.lines.some((l) => l.includes('Redis queue connected')))
      break
    if (i > 200)
      throw new Error(
        `API node not up: ${api.lines.slice(-5).join(' | ')} / redis: ${redis.lines.slice(-3).join(' | ')}`,
      )
    await sleep(50)
  }
  results.redis_version = redis.lines
    .find((line) => line.includes('version='))
    ?.replace(/^.*(Redis version=\S+).*$/, '$1')
  log(`redis on ${REDIS_PORT}, API node on ${PORT}`)

  for (const stage of PLAN) {
    const size = stage.gpus.split(',').length * stage.perGpu
    const elapsed = Date.now() - t0
    if (elapsed + estimateS(stage, size) * 1000 > BUDGET_MS) {
      log(`${stage.name}: skipped (would end past GP_BUDGET_S)`)
      results.stages.push({
        stage: stage.name,
        settings: `GPUS=${stage.gpus} COMFYUI_PER_GPU=${stage.perGpu}`,
        skipped: 'budget',
      })
      save()
      continue
    }
    let useThreads = stage.threads === 'on'
    if (stage.threads === 'best') {
      const measured = results.stages.filter((e: any) => e.images_per_s)
      const withT = measured.filter((e: any) => e.threads_per_instance).at(-1)
      const without = withT && measured.find((e: any) => !e.threads_per_instance && e.settings === withT.settings)
      useThreads = Boolean(withT && without && withT.images_per_s > without.images_per_s)
    }
    const threads = useThreads ? Math.max(1, Math.floor(CORES / size)) : undefined
    const settings = `GPUS=${stage.gpus} COMFYUI_PER_GPU=${stage.perGpu}`
    log(`${stage.name}: worker with ${settings}${threads ? ` OMP_NUM_THREADS=${threads}` : ''}`)
    const worker = startWorker(stage, threads)
    current = worker
    try {
      const boot = await waitAllReady(worker, 240_000, true)
      log(
        `${stage.name}: ${boot.size} instance(s) ready after ${round(boot.readyMs / 1000)} s, warmed after ${round(boot.warmedMs / 1000)} s`,
      )
      const layout = worker.lines.find((line) => line.includes('ComfyUI supervised from'))
      await closedLoop(CLIENTS * 2, 'warm')
      const run = await closedLoop(N, 'run')
      log(`${stage.name}:`, run)
      const perInstance = comfyThreads(worker)
      log(`${stage.name}: threads`, perInstance)
      const fifo = await fifoBurst()
      log(`${stage.name}: FIFO`, { violations: fifo.fifo_violations, missing: fifo.queue_ms_missing })
      const entry: Record<string, any> = {
        stage: stage.name,
        settings,
        threads_per_instance: threads,
        thread_budget: threads
          ? 'OMP_NUM_THREADS/MKL_NUM_THREADS set on the worker (operator-set)'
          : "the worker's own",
        comfyui_processes: perInstance,
        comfyui_instances: boot.size,
        worker_says: layout ? (JSON.parse(layout) as { msg: string }).msg : undefined,
        all_ready_s: round(boot.readyMs / 1000),
        warmed_s: round(boot.warmedMs / 1000),
        ...run,
        fifo,
      }
      results.stages.push(entry)
      save()
      if (stage.kill) {
        entry['kill'] = await killDuringRun(worker, boot.size)
        save()
      }
    } catch (error) {
      log(`${stage.name}: failed: ${(error as Error).stack}`)
      log(`${stage.name}: last worker lines:`, worker.lines.slice(-8))
      results.stages.push({ stage: stage.name, settings, error: (error as Error).message })
      save()
    } finally {
      await stopWorker(worker)
      current = undefined
    }
  }
} catch (error) {
  log(`failed: ${(error as Error).stack}`)
  results.error = (error as Error).message
} finally {
  const one = results.stages.find((e: any) => e.comfyui_instances === 1 && e.images_per_s)
  const a1 = results.stages.find((e: any) => e.settings === 'GPUS=0,1 COMFYUI_PER_GPU=1' && e.images_per_s)
  for (const entry of results.stages) {
    if (one && entry.images_per_s) entry.ratio_vs_one = round(entry.images_per_s / one.images_per_s, 2)
  }
  if (one && a1) results.one_gpu_to_two = round(a1.images_per_s / one.images_per_s, 2)
  save()
  cleanup()
  log(
    'done',
    results.stages.map((e: any) => [e.stage, e.images_per_s, e.ratio_vs_one, e.error ?? e.skipped]),
  )
}
process.exit(0)

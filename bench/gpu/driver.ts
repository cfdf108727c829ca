/**
 * The GPU run: real ComfyUI, the genimage server in front of it, the contract suite, side-by-side benchmarks and the
 * speed variants. Bundled by `build.mjs` into `bench/.tmp/gpu/driver.mjs` and started by `run.sh` (which unpacks
 * Node, writes the random-weight checkpoint and sets PYTHONPATH). Each phase named on the command line runs in order:
 *
 *   cold        cold start of stock ComfyUI, then of genimage (which stays up for the next phases)
 *   contract    test/contract/suite.ts against genimage servers attached to that ComfyUI
 *   bench       (a) genimage POST /generate, (b) the tutorial pattern, (c) stock /prompt + 2 ms polling; 3 sizes
 *   throughput  8 concurrent clients vs one stream, FIFO order, ComfyUI queue depth 1 vs 2
 *   trace       per-node timings from ComfyUI's WebSocket events (where the time goes)
 *   formats     PNG levels / JPEG / WebP through genimage servers attached to the same ComfyUI
 *   cudagraph   the GenimageCudaGraph workflow: latency and pixels vs the plain workflow
 *   transcript  records the node-error scenario for the fake's transcript fixture
 *   flags       genimage restarted with each ComfyUI flag set: boot, first image, latency, pixels
 *
 * Results go to `$OUT/results.json` (merged per phase, written after each one) and logs to `$GI_WORK/logs`.
 * @module
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import {
  copyFileSync,
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { WebSocket } from 'ws'
import { decodeBinaryFrame, imageInfo } from '../../packages/server/src/comfyui/index.js'

// ---------------------------------------------------------------------------------------------------------------
// Setup

const env = process.env
const REPO = env.GI_REPO ?? process.cwd()
const WORK = env.GI_WORK ?? '/tmp/gi'
const OUT = env.OUT ?? join(WORK, 'out')
const LOGS = join(WORK, 'logs')
const COMFY_DIR = env.COMFYUI_DIR ?? join(REPO, '.vendor/ComfyUI')
const PY = env.GI_PYTHON ?? 'python3'
const BUNDLES = join(REPO, 'bench/.tmp/gpu')
const MODELS = join(WORK, 'models')
const FRONTEND = join(WORK, 'fe')
const COMFY_OUT = join(WORK, 'comfy-out')
const WORKFLOWS = join(REPO, 'packages/server/workflows')
const COMFY_PORT = 8188
const COMFY = `http://127.0.0.1:${COMFY_PORT}`
const GENIMAGE_PORT = 8787
/** Requests per latency row (the issue asks for ≥ 30). */
const N = Number(env.GI_N ?? 30)
const LOCAL = env.GI_LOCAL === '1'
const BASE_COMFY_ARGS = [
  '--front-end-root',
  FRONTEND,
  '--database-url',
  'sqlite:///:memory:',
  '--output-directory',
  COMFY_OUT,
]

for (const dir of [WORK, OUT, LOGS, MODELS, FRONTEND, COMFY_OUT, join(MODELS, 'checkpoints')])
  mkdirSync(dir, { recursive: true })

// The server bundle finds comfyui-nodes/ and workflows/ one level above its own folder, as in a published package.
const PKG = join(WORK, 'pkg')
mkdirSync(join(PKG, 'dist'), { recursive: true })
copyFileSync(join(BUNDLES, 'server.mjs'), join(PKG, 'dist/server.mjs'))
for (const name of ['comfyui-nodes', 'workflows']) {
  const link = join(PKG, name)
  if (!existsSync(link)) symlinkSync(join(REPO, 'packages/server', name), link)
}
const SERVER = join(PKG, 'dist/server.mjs')

const t0 = Date.now()
/** Phases (and flag variants) that would start later than this after launch are skipped. */
const budgetMs = Number(env.GI_BUDGET_S ?? 1e9) * 1000
const log = (...parts: unknown[]): void => {
  const line = `[${((Date.now() - t0) / 1000).toFixed(1).padStart(6)}s] ${parts.map((p) => (typeof p === 'string' ? p : JSON.stringify(p))).join(' ')}`
  console.log(line)
}

const resultsFile = join(OUT, 'results.json')
const results: Record<string, unknown> = existsSync(resultsFile) ? JSON.parse(readFileSync(resultsFile, 'utf8')) : {}
const save = (): void => writeFileSync(resultsFile, `${JSON.stringify(results, null, 1)}\n`)

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const now = () => performance.now()
const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN
}
function stats(values: number[]) {
  return {
    n: values.length,
    p50: round(percentile(values, 50)),
    p90: round(percentile(values, 90)),
    p99: round(percentile(values, 99)),
    min: round(Math.min(...values)),
    max: round(Math.max(...values)),
    mean: round(values.reduce((a, b) => a + b, 0) / Math.max(1, values.length)),
  }
}

const SIZES = [
  { label: '512² 1 step', width: 512, height: 512, steps: 1 },
  { label: '512² 4 steps', width: 512, height: 512, steps: 4 },
  { label: '1024² 1 step', width: 1024, height: 1024, steps: 1 },
] as const
type Size = (typeof SIZES)[number]
const SIZE_512 = SIZES[0]

const SUBJECTS = [
  'a red fox in snow',
  'a lighthouse at dusk',
  'a bowl of ramen',
  'a glass bottle with a galaxy inside',
  'a city street in rain',
  'a mountain lake',
  'an old sailing ship',
  'a field of sunflowers',
]
let promptCounter = 0
/** A prompt no earlier request used, so ComfyUI re-encodes the text every time, as for real traffic. */
const freshPrompt = (tag: string) => {
  promptCounter += 1
  return `${SUBJECTS[promptCounter % SUBJECTS.length]}, ${tag} ${promptCounter} ${Date.now() % 100000}`
}

// ---------------------------------------------------------------------------------------------------------------
// Processes

interface Proc {
  child: ChildProcess
  name: string
  lines: { t: number; line: string }[]
  started: number
  exited: Promise<number | null>
}

function startProc(
  name: string,
  command: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string> },
): Proc {
  const logFile = createWriteStream(join(LOGS, `${name}.log`), { flags: 'a' })
  const started = now()
  const child = spawn(command, args, {
    cwd: options.cwd ?? REPO,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  })
  const proc: Proc = {
    child,
    name,
    lines: [],
    started,
    exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))),
  }
  const onData = (chunk: Buffer) => {
    const t = now() - started
    for (const line of chunk.toString().split('\n')) {
      if (!line) continue
      proc.lines.push({ t, line })
      logFile.write(`${(t / 1000).toFixed(3)} ${line}\n`)
    }
  }
  child.stdout?.on('data', onData)
  child.stderr?.on('data', onData)
  void proc.exited.then((code) => logFile.end(`-- exited ${code}\n`))
  return proc
}

async function stopProc(proc: Proc, graceMs = 20_000): Promise<void> {
  if (proc.child.exitCode !== null || proc.child.signalCode !== null) return
  try {
    process.kill(proc.child.pid!, 'SIGTERM')
  } catch {}
  const timedOut = await Promise.race([proc.exited.then(() => false), sleep(graceMs).then(() => true)])
  try {
    process.kill(-proc.child.pid!, 'SIGKILL') // the whole group: whatever it left behind
  } catch {}
  // ComfyUI children of a genimage server run in their own process group: the supervisor logged their pids.
  for (const { line } of proc.lines) {
    if (!line.includes('"event":"starting"')) continue
    try {
      const pid = Number(JSON.parse(line).pid)
      if (pid > 1 && pid !== proc.child.pid) {
        for (const target of [-pid, pid]) {
          try {
            process.kill(target, 'SIGKILL')
          } catch {}
        }
      }
    } catch {}
  }
  if (timedOut) log(`${proc.name}: did not stop in ${graceMs} ms; killed`)
  await waitUntil(async () => !(await answers(`${COMFY}/system_stats`)), 20_000, 'ComfyUI port to close')
}

async function answers(url: string, init?: RequestInit): Promise<boolean> {
  try {
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout(2000) })
    await response.arrayBuffer()
    return response.ok
  } catch {
    return false
  }
}

async function waitUntil(test: () => Promise<boolean>, timeoutMs: number, what: string, everyMs = 20): Promise<void> {
  const deadline = now() + timeoutMs
  while (!(await test())) {
    if (now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(everyMs)
  }
}

function writeExtraModelPaths(): string {
  const file = join(MODELS, 'extra_model_paths.bench.yaml')
  writeFileSync(file, `genimage_bench:\n    base_path: ${MODELS}\n    checkpoints: checkpoints/\n`)
  return file
}

/** Stock ComfyUI, as the tutorial starts it (plus the flags the GPU machine needs). */
function startStockComfy(extra: string[] = []): Proc {
  const args = ['main.py', '--listen', '127.0.0.1', '--port', String(COMFY_PORT), '--disable-auto-launch']
  args.push('--extra-model-paths-config', writeExtraModelPaths(), ...BASE_COMFY_ARGS, ...extra)
  return startProc('comfyui-stock', PY, args, { cwd: COMFY_DIR })
}

/** The genimage server; supervising ComfyUI (`comfyuiArgs` given) or attached to the running one. */
function startGenimage(
  name: string,
  options: { port: number; comfyuiArgs?: string[]; workflow?: string; env?: Record<string, string> },
): Proc {
  const supervised = options.comfyuiArgs !== undefined
  const serverEnv: Record<string, string> = {
    PORT: String(options.port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    MAX_QUEUE: '1000',
    JOB_TIMEOUT_MS: '300000',
    SHUTDOWN_GRACE_MS: '2000',
    WORKFLOW: options.workflow ?? join(WORKFLOWS, 'sdxl-turbo'),
    ...(supervised
      ? {
          COMFYUI_DIR: COMFY_DIR,
          COMFYUI_PYTHON: PY,
          COMFYUI_PORT: String(COMFY_PORT),
          MODELS_DIR: MODELS,
          SKIP_WEIGHTS_DOWNLOAD: '1',
          COMFYUI_ARGS: [...BASE_COMFY_ARGS, ...(options.comfyuiArgs ?? [])].join(' '),
        }
      : { COMFYUI_URL: COMFY, COMFYUI_DIR: '' }),
    ...options.env,
  }
  return startProc(name, process.execPath, [SERVER], { env: serverEnv })
}

const genimageUrl = (port: number) => `http://127.0.0.1:${port}`

async function waitReady(port: number, proc: Proc, timeoutMs = 240_000): Promise<void> {
  const deadline = now() + timeoutMs
  for (;;) {
    if (proc.child.exitCode !== null)
      throw new Error(`${proc.name} exited (${proc.child.exitCode}); see ${proc.name}.log`)
    if (await answers(`${genimageUrl(port)}/ready`)) return
    if (now() > deadline) throw new Error(`${proc.name} not ready after ${timeoutMs} ms`)
    await sleep(20)
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Clients

interface GenimageResult {
  ms: number
  postMs: number
  timings: Record<string, number>
  bytes: number
  contentType: string
  image: Uint8Array
}

async function generate(port: number, body: Record<string, unknown>): Promise<GenimageResult> {
  const base = genimageUrl(port)
  const started = now()
  const response = await fetch(`${base}/generate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  const json = (await response.json()) as Record<string, any>
  if (response.status !== 200) throw new Error(`POST /generate ${response.status}: ${JSON.stringify(json)}`)
  const postMs = now() - started
  const file = await fetch(new URL(json.image.url, base))
  const image = new Uint8Array(await file.arrayBuffer())
  return {
    ms: now() - started,
    postMs,
    timings: json.timings,
    bytes: image.byteLength,
    contentType: json.image.content_type,
    image,
  }
}

let baseGraph: Record<string, any> | undefined
async function workflowGraph(name = 'sdxl-turbo'): Promise<Record<string, any>> {
  return JSON.parse(await readFile(join(WORKFLOWS, name, 'workflow.json'), 'utf8'))
}

/** The tutorial's graph: the same nodes as our workflow, ending in stock SaveImage (PNG level 4 + metadata, to disk). */
async function tutorialGraph(size: Size, prompt: string, seed: number): Promise<Record<string, any>> {
  baseGraph ??= await workflowGraph()
  const graph = structuredClone(baseGraph)
  graph['6'].inputs.text = prompt
  Object.assign(graph['5'].inputs, { width: size.width, height: size.height })
  graph['22'].inputs.steps = size.steps
  graph['13'].inputs.noise_seed = seed
  graph['27'] = { class_type: 'SaveImage', inputs: { images: ['8', 0], filename_prefix: 'bench/tutorial' } }
  return graph
}

async function postPrompt(graph: Record<string, unknown>, clientId = 'bench'): Promise<string> {
  const id = randomUUID()
  const response = await fetch(`${COMFY}/prompt`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ prompt: graph, client_id: clientId, prompt_id: id }),
  })
  const text = await response.text()
  if (response.status !== 200) throw new Error(`POST /prompt ${response.status}: ${text.slice(0, 400)}`)
  return id
}

/** POST /prompt, poll /history every `pollMs`, then read the image: from disk (tutorial) or through /view. */
async function stockRun(graph: Record<string, unknown>, pollMs: number, read: 'disk' | 'view') {
  const started = now()
  const id = await postPrompt(graph)
  let entry: any
  for (;;) {
    const history = (await (await fetch(`${COMFY}/history/${id}`)).json()) as Record<string, any>
    entry = history[id]
    if (entry) break
    await sleep(pollMs)
  }
  const historyMs = now() - started
  if (entry.status?.status_str === 'error')
    throw new Error(`prompt failed: ${JSON.stringify(entry.status).slice(0, 400)}`)
  const file = entry.outputs?.['27']?.images?.[0]
  if (!file) throw new Error(`no image in history: ${JSON.stringify(entry).slice(0, 300)}`)
  let bytes: Uint8Array
  const onDisk = join(COMFY_OUT, file.subfolder ?? '', file.filename)
  if (read === 'disk' && existsSync(onDisk)) bytes = await readFile(onDisk)
  else {
    const query = new URLSearchParams({
      filename: file.filename,
      subfolder: file.subfolder ?? '',
      type: file.type ?? 'output',
    })
    bytes = new Uint8Array(await (await fetch(`${COMFY}/view?${query}`)).arrayBuffer())
  }
  await fetch(`${COMFY}/history`, { method: 'POST', body: JSON.stringify({ delete: [id] }) })
  return { ms: now() - started, historyMs, bytes: bytes.byteLength }
}

/** Runs `n` requests one after another after `warm` unmeasured ones; returns the per-request records. */
async function series<T extends { ms: number }>(n: number, warm: number, one: (i: number) => Promise<T>): Promise<T[]> {
  for (let i = 0; i < warm; i += 1) await one(-1 - i)
  const out: T[] = []
  for (let i = 0; i < n; i += 1) out.push(await one(i))
  return out
}

const genimageBody = (size: Size, tag: string, extra: Record<string, unknown> = {}) => ({
  prompt: freshPrompt(tag),
  width: size.width,
  height: size.height,
  num_inference_steps: size.steps,
  seed: Math.floor(Math.random() * 2 ** 31),
  output_format: 'png',
  ...extra,
})

function summarizeGenimage(rows: GenimageResult[]) {
  const pick = (key: string) => rows.map((row) => row.timings[key] ?? Number.NaN)
  return {
    end_to_end_ms: stats(rows.map((row) => row.ms)),
    post_generate_ms: stats(rows.map((row) => row.postMs)),
    server_total_ms: stats(pick('total_ms')),
    queue_ms: stats(pick('queue_ms')),
    inference_ms: stats(pick('inference_ms')),
    encode_ms: stats(pick('encode_ms')),
    bytes_p50: percentile(
      rows.map((row) => row.bytes),
      50,
    ),
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Phases

let main: Proc | undefined // the supervised genimage server (and its ComfyUI) the later phases use

async function gpuName(): Promise<string> {
  const smi = spawnSync('nvidia-smi', ['--query-gpu=name,memory.total,driver_version', '--format=csv,noheader'], {
    encoding: 'utf8',
  })
  return smi.status === 0 ? smi.stdout.trim() : 'no GPU (local run against the fake ComfyUI)'
}

async function coldStock(extra: string[] = []) {
  const proc = startStockComfy(extra)
  await waitUntil(() => answers(`${COMFY}/system_stats`), 240_000, 'stock ComfyUI')
  const readyMs = now() - proc.started
  const first = await stockRun(await tutorialGraph(SIZE_512, freshPrompt('cold'), 1), 2, 'view')
  const firstImageMs = now() - proc.started
  const marks = Object.fromEntries(
    [
      ['torch_and_cuda', /^Total VRAM|^Device: /],
      ['nodes_imported', /^Import times for custom nodes/],
      ['server_started', /^Starting server|To see the GUI/],
    ].map(([key, pattern]) => [
      key,
      round(proc.lines.find((l) => (pattern as RegExp).test(l.line))?.t ?? Number.NaN, 0),
    ]),
  )
  await stopProc(proc)
  return {
    process_to_ready_ms: round(readyMs, 0),
    process_to_first_image_ms: round(firstImageMs, 0),
    first_request_ms: round(first.ms, 0),
    log_marks_ms: marks,
    flags: extra,
  }
}

async function coldGenimage(comfyuiArgs: string[], tag: string, workflow?: string) {
  const proc = startGenimage(`genimage-${tag}`, { port: GENIMAGE_PORT, comfyuiArgs, ...(workflow ? { workflow } : {}) })
  try {
    return await coldGenimageRun(proc, comfyuiArgs)
  } catch (error) {
    await stopProc(proc).catch(() => {})
    throw error
  }
}

async function coldGenimageRun(proc: Proc, comfyuiArgs: string[]) {
  await waitUntil(() => answers(`${genimageUrl(GENIMAGE_PORT)}/health`), 60_000, 'genimage /health')
  const listeningMs = now() - proc.started
  await waitReady(GENIMAGE_PORT, proc)
  const readyMs = now() - proc.started
  const first = await generate(GENIMAGE_PORT, genimageBody(SIZE_512, 'cold'))
  const firstImageMs = now() - proc.started
  const find = (pattern: RegExp) => proc.lines.find((l) => pattern.test(l.line))
  const parse = (line?: { line: string }) => {
    try {
      return line ? JSON.parse(line.line) : undefined
    } catch {
      return undefined
    }
  }
  const bootLine = parse(find(/"bootMs"/))
  const warm = find(/warm-up generation took (\d+) ms/)
  return {
    comfyui_args: comfyuiArgs,
    process_to_listening_ms: round(listeningMs, 0),
    process_to_ready_ms: round(readyMs, 0),
    process_to_first_image_ms: round(firstImageMs, 0),
    first_request_ms: round(first.ms, 0),
    comfyui_boot_ms: bootLine?.bootMs,
    warmup_ms: warm ? Number(/took (\d+) ms/.exec(warm.line)?.[1]) : undefined,
    proc,
  }
}

async function phaseCold() {
  log('cold: stock ComfyUI')
  const stock = await coldStock()
  log('cold: stock', stock)
  log('cold: genimage (supervised, default flags)')
  const { proc, ...genimage } = await coldGenimage([], 'main')
  main = proc
  log('cold: genimage', genimage)
  results.cold_start = { stock, genimage }
}

async function ensureMain() {
  if (main && main.child.exitCode === null) return
  const { proc, ...cold } = await coldGenimage([], 'main')
  main = proc
  log('main genimage server started', cold)
}

async function phaseContract() {
  await ensureMain()
  log('contract: running test/contract/suite.ts against genimage attached to real ComfyUI')
  const file = join(WORK, 'contract.json')
  const proc = startProc(
    'contract',
    process.execPath,
    [join(BUNDLES, 'contract.mjs'), '--comfyui-url', COMFY, '--out', file],
    {
      env: { WORKFLOW: join(WORKFLOWS, 'sdxl-turbo') },
    },
  )
  const code = await proc.exited
  const report = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : { error: `contract runner exited ${code}` }
  results.contract = report
  log(`contract: ${report.passed ?? '?'} passed, ${report.failed ?? '?'} failed (${report.ms ?? '?'} ms)`)
}

async function phaseBench() {
  await ensureMain()
  const rows: Record<string, unknown>[] = []
  for (const size of SIZES) {
    log(`bench ${size.label}: (a) genimage POST /generate`)
    const a = await series(N, 3, () => generate(GENIMAGE_PORT, genimageBody(size, 'a')))
    log(`bench ${size.label}: (b) tutorial: SaveImage + 0.5 s /history polling + file from disk`)
    const b = await series(N, 2, async (i) =>
      stockRun(await tutorialGraph(size, freshPrompt('b'), 1000 + i), 500, 'disk'),
    )
    log(`bench ${size.label}: (c) stock /prompt + 2 ms /history polling + /view`)
    const c = await series(N, 2, async (i) =>
      stockRun(await tutorialGraph(size, freshPrompt('c'), 2000 + i), 2, 'view'),
    )
    const row = {
      size: size.label,
      a_genimage: summarizeGenimage(a),
      b_tutorial_poll_500ms: {
        end_to_end_ms: stats(b.map((r) => r.ms)),
        history_seen_ms: stats(b.map((r) => r.historyMs)),
        bytes_p50: percentile(
          b.map((r) => r.bytes),
          50,
        ),
      },
      c_stock_poll_2ms: {
        end_to_end_ms: stats(c.map((r) => r.ms)),
        history_seen_ms: stats(c.map((r) => r.historyMs)),
        bytes_p50: percentile(
          c.map((r) => r.bytes),
          50,
        ),
      },
    }
    log(
      `bench ${size.label}: p50 a ${row.a_genimage.end_to_end_ms.p50} / b ${row.b_tutorial_poll_500ms.end_to_end_ms.p50} / c ${row.c_stock_poll_2ms.end_to_end_ms.p50} ms`,
    )
    rows.push(row)
    results.latency = rows
    save()
  }
}

async function phaseThroughput() {
  await ensureMain()
  const total = Number(env.GI_THROUGHPUT_N ?? 48)
  log(`throughput: ${total} requests 512² 1 step, one stream`)
  for (let i = 0; i < 3; i += 1) await generate(GENIMAGE_PORT, genimageBody(SIZE_512, 'warm'))
  let started = now()
  const single = await series(total, 0, () => generate(GENIMAGE_PORT, genimageBody(SIZE_512, 't1')))
  const singleMs = now() - started
  log(`throughput: ${total} requests from 8 concurrent clients`)
  started = now()
  const concurrentRows: GenimageResult[] = []
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let i = 0; i < total / 8; i += 1)
        concurrentRows.push(await generate(GENIMAGE_PORT, genimageBody(SIZE_512, 't8')))
    }),
  )
  const concurrentMs = now() - started
  log('throughput: FIFO: 16 requests started 3 ms apart, answers must come back in the same order')
  const order: number[] = []
  await Promise.all(
    Array.from({ length: 16 }, async (_, i) => {
      await sleep(i * 3)
      await generate(GENIMAGE_PORT, genimageBody(SIZE_512, `fifo${i}`))
      order.push(i)
    }),
  )
  const fifo = order.every((value, index) => value === index)
  log(
    'throughput: stock ComfyUI queue depth 1 (submit after the last finished) vs 2 (one waiting behind the running one)',
  )
  const depth = async (inFlight: number) => {
    const count = 24
    let next = 0
    const begin = now()
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (next < count) {
          next += 1
          await stockRun(await tutorialGraph(SIZE_512, freshPrompt('depth'), next), 2, 'view')
        }
      }),
    )
    return round((count / (now() - begin)) * 1000, 2)
  }
  const depth1 = await depth(1)
  const depth2 = await depth(2)
  results.throughput = {
    requests: total,
    single_stream_images_per_s: round((total / singleMs) * 1000, 2),
    single_stream_latency_ms: stats(single.map((r) => r.ms)),
    concurrent8_images_per_s: round((total / concurrentMs) * 1000, 2),
    concurrent8_latency_ms: stats(concurrentRows.map((r) => r.ms)),
    concurrent8_queue_ms: stats(concurrentRows.map((r) => r.timings.queue_ms ?? 0)),
    ratio_concurrent_to_single: round(singleMs / concurrentMs, 3),
    fifo_order_kept: fifo,
    fifo_completion_order: order,
    stock_depth1_images_per_s: depth1,
    stock_depth2_images_per_s: depth2,
  }
  log('throughput', results.throughput)
}

/** Submits our workflow straight to ComfyUI and timestamps every WebSocket event: where a request's time goes. */
async function trace(count: number, size: Size, workflow = 'sdxl-turbo', format = 'png', samePrompt = false) {
  const fixedText = freshPrompt('trace-fixed')
  const graph0 = await workflowGraph(workflow)
  const clientId = `trace-${randomUUID()}`
  const ws = new WebSocket(`${COMFY.replace('http', 'ws')}/ws?clientId=${clientId}`, { perMessageDeflate: false })
  await new Promise((resolve, reject) => {
    ws.once('open', resolve)
    ws.once('error', reject)
  })
  let events: { t: number; type: string; node?: string | null; meta?: Record<string, unknown> }[] = []
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    const t = now()
    if (isBinary) {
      const frame = decodeBinaryFrame(new Uint8Array(data))
      events.push({ t, type: 'frame', ...(frame.kind === 'image' && frame.metadata ? { meta: frame.metadata } : {}) })
    } else {
      const message = JSON.parse(data.toString()) as { type: string; data: Record<string, any> }
      if (message.type === 'progress_state' || message.type === 'status') return
      events.push({ t, type: message.type, node: message.data?.node })
    }
  })
  const runs: Record<string, number>[] = []
  for (let i = -2; i < count; i += 1) {
    const graph = structuredClone(graph0)
    graph['6'].inputs.text = samePrompt ? fixedText : freshPrompt('trace')
    Object.assign(graph['5'].inputs, { width: size.width, height: size.height })
    graph['22'].inputs.steps = size.steps
    graph['13'].inputs.noise_seed = 5000 + i
    graph['27'].inputs.format = format
    events = []
    const started = now()
    const id = await postPrompt(graph, clientId)
    const posted = now()
    await waitUntil(
      async () => events.some((e) => e.type === 'executing' && e.node === null),
      60_000,
      'trace prompt',
      1,
    )
    const done = now()
    if (i < 0) continue
    const at = (type: string, node?: string) =>
      events.find((e) => e.type === type && (node === undefined || e.node === node))?.t
    const frame = events.find((e) => e.type === 'frame')
    const run: Record<string, number> = { total_ms: done - started, post_prompt_ms: posted - started }
    const startT = at('execution_start')
    if (startT !== undefined) run.submit_to_execution_start_ms = startT - started
    const executing = events.filter((e) => e.type === 'executing' && e.node)
    for (let k = 0; k < executing.length; k += 1) {
      const node = executing[k]!.node as string
      const end = executing[k + 1]?.t ?? frame?.t ?? done
      run[`node_${node}_${String(graph[node]?.class_type)}_ms`] = end - executing[k]!.t
    }
    if (frame) {
      run.frame_to_done_ms = done - frame.t
      if (typeof frame.meta?.encode_ms === 'number') run.encode_in_node_ms = frame.meta.encode_ms
    }
    runs.push(run)
    void id
  }
  ws.close()
  const keys = [...new Set(runs.flatMap((run) => Object.keys(run)))]
  return Object.fromEntries(keys.map((key) => [key, stats(runs.map((run) => run[key] ?? 0))]))
}

async function phaseTrace() {
  await ensureMain()
  const out: Record<string, unknown> = {}
  for (const size of SIZES) {
    log(`trace ${size.label}`)
    out[size.label] = await trace(N, size)
  }
  log('trace 512² 1 step, JPEG')
  out['512² 1 step jpeg'] = await trace(N, SIZE_512, 'sdxl-turbo', 'jpeg')
  log('trace 512² 1 step, same prompt every time (ComfyUI serves the text encoding from its cache)')
  out['512² 1 step same prompt'] = await trace(N, SIZE_512, 'sdxl-turbo', 'png', true)
  results.trace = out
  log('trace', out['512² 1 step'])
}

/** A workflow folder like the shipped one with node inputs changed (PNG level, …), under $GI_WORK/workflows. */
function variantWorkflow(name: string, change: (graph: Record<string, any>) => void, from = 'sdxl-turbo'): string {
  const dir = join(WORK, 'workflows', name)
  mkdirSync(dir, { recursive: true })
  const graph = JSON.parse(readFileSync(join(WORKFLOWS, from, 'workflow.json'), 'utf8'))
  change(graph)
  writeFileSync(join(dir, 'workflow.json'), JSON.stringify(graph, null, 1))
  copyFileSync(join(WORKFLOWS, from, 'bindings.json'), join(dir, 'bindings.json'))
  return dir
}

/** Runs `body` against a genimage server attached (COMFYUI_URL) to the running ComfyUI with `workflow`. */
async function withAttached<T>(name: string, workflow: string, body: (port: number) => Promise<T>): Promise<T> {
  const port = GENIMAGE_PORT + 1
  const proc = startGenimage(`genimage-${name}`, { port, workflow })
  try {
    await waitReady(port, proc, 300_000)
    return await body(port)
  } finally {
    await stopAttached(proc)
  }
}

async function stopAttached(proc: Proc) {
  try {
    process.kill(proc.child.pid!, 'SIGTERM')
  } catch {}
  await Promise.race([proc.exited, sleep(10_000)])
  try {
    process.kill(-proc.child.pid!, 'SIGKILL')
  } catch {}
}

const FIXED = {
  prompt: 'a lighthouse at dusk, fixed pixels check',
  seed: 42,
  width: 512,
  height: 512,
  num_inference_steps: 1,
}

async function savePixels(name: string, image: Uint8Array): Promise<string> {
  const file = join(WORK, 'pixels', `${name}.png`)
  mkdirSync(join(WORK, 'pixels'), { recursive: true })
  writeFileSync(file, image)
  return file
}

/** Decoded-pixel comparison of two images (python3 + Pillow + numpy). */
function comparePixels(a: string, b: string): Record<string, unknown> {
  const run = spawnSync(PY, [join(REPO, 'bench/gpu/pixels.py'), 'compare', a, b], { encoding: 'utf8' })
  if (run.status !== 0) return { error: (run.stderr || run.stdout).trim().slice(-400) }
  return JSON.parse(run.stdout)
}

async function latencyRow(port: number, tag: string, extra: Record<string, unknown> = {}, size: Size = SIZE_512) {
  const rows = await series(N, 3, () => generate(port, genimageBody(size, tag, extra)))
  return summarizeGenimage(rows)
}

async function phaseFormats() {
  await ensureMain()
  const out: Record<string, unknown> = {}
  for (const level of [0, 1, 4, 6]) {
    const workflow = variantWorkflow(`png-l${level}`, (graph) => {
      graph['27'].inputs.compress_level = level
    })
    log(`formats: PNG level ${level}`)
    out[`png level ${level}`] = await withAttached(`png-l${level}`, workflow, (port) => latencyRow(port, `png${level}`))
  }
  for (const format of ['jpeg', 'webp'] as const) {
    log(`formats: ${format} (quality 90${format === 'webp' ? ', method 1' : ''})`)
    out[format] = await latencyRow(GENIMAGE_PORT, format, { output_format: format })
  }
  results.formats = out
}

async function phaseCudagraph() {
  await ensureMain()
  const rows = async (port: number, tag: string) => ({
    '512² 1 step': await latencyRow(port, `${tag}1`),
    '512² 4 steps': await latencyRow(port, `${tag}4`, {}, SIZES[1]),
    '1024² 1 step': await latencyRow(port, `${tag}1024`, {}, SIZES[2]),
    '512² 1 step jpeg': await latencyRow(port, `${tag}j`, { output_format: 'jpeg' }),
  })
  // Blocks, not interleaved: switching between the two workflows' MODEL/CLIP patchers makes ComfyUI reload them.
  log('cudagraph: plain workflow (reference image, latency, per-node trace)')
  const reference = await generate(GENIMAGE_PORT, FIXED)
  const referenceFile = await savePixels('plain', reference.image)
  const out: Record<string, unknown> = { plain: await rows(GENIMAGE_PORT, 'plain') }
  out.plain_trace = await trace(N, SIZE_512)
  log('cudagraph: GenimageCudaGraph + GenimageCudaGraphClip workflow')
  const workflow = join(WORKFLOWS, 'sdxl-turbo-cudagraph')
  await withAttached('cudagraph', workflow, async (port) => {
    const image = await generate(port, FIXED)
    out.pixels_vs_plain = comparePixels(referenceFile, await savePixels('cudagraph', image.image))
    out.cudagraph = await rows(port, 'cg')
    out.cudagraph_trace = await trace(N, SIZE_512, 'sdxl-turbo-cudagraph')
    out.cudagraph_trace_jpeg = await trace(N, SIZE_512, 'sdxl-turbo-cudagraph', 'jpeg')
  })
  const logLines = main?.lines.filter((l) => /GenimageCudaGraph/.test(l.line)).map((l) => l.line.slice(0, 300)) ?? []
  out.node_log = logLines.slice(0, 40)
  results.cudagraph = out
  const p50 = (row: any) => row?.end_to_end_ms?.p50
  log('cudagraph', {
    plain: p50((out.plain as any)['512² 1 step']),
    cudagraph: p50((out.cudagraph as any)?.['512² 1 step']),
    pixels: out.pixels_vs_plain,
    node_log: logLines.slice(0, 6),
  })
}

/**
 * Records the node-error scenario the way record.py records the others: a prompt whose SaveImage raises at execution
 * time ("Saving image outside the output folder is not allowed", filename_prefix `../…`), after a prime prompt that
 * leaves every other node cached, so the fake can replay it with a `nodeError` fault on node 27.
 */
async function phaseTranscript() {
  await ensureMain()
  const graph0 = await workflowGraph()
  const graph = (prefix: string) => {
    const g = structuredClone(graph0)
    g['6'].inputs.text = 'a lighthouse'
    Object.assign(g['5'].inputs, { width: 512, height: 512 })
    g['22'].inputs.steps = 1
    g['13'].inputs.noise_seed = 15
    g['27'] = { class_type: 'SaveImage', inputs: { images: ['8', 0], filename_prefix: prefix } }
    return g
  }
  const clientId = 'probe3'
  const sink: { text?: string; binary?: Record<string, unknown> }[] = []
  const ws = new WebSocket(`${COMFY.replace('http', 'ws')}/ws?clientId=${clientId}`, { perMessageDeflate: false })
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (!isBinary) return void sink.push({ text: data.toString() })
    const frame = decodeBinaryFrame(new Uint8Array(data))
    const event = new DataView(data.buffer, data.byteOffset).getUint32(0)
    const info = frame.kind === 'image' ? imageInfo(frame.bytes) : undefined
    sink.push({
      binary: {
        event,
        ...(frame.kind === 'image' && frame.metadata ? { meta: frame.metadata } : {}),
        ...(info ? { decoded: [info.contentType.replace('image/', '').toUpperCase(), info.width, info.height] } : {}),
      },
    })
  })
  await new Promise((resolve) => ws.once('open', resolve))
  await sleep(100)
  const runOne = async (name: string, g: Record<string, unknown>) => {
    const start = sink.length
    const id = await postPrompt(g, clientId)
    const started = now()
    await waitUntil(
      async () => sink.slice(start).some((m) => m.text?.includes('"node": null') && m.text.includes(id)),
      60_000,
      name,
      2,
    )
    const history = await (await fetch(`${COMFY}/history/${id}`)).json()
    return {
      kind: 'transcript',
      name,
      prompt_id: id,
      ms: Math.round(now() - started),
      messages: sink.slice(start),
      history,
    }
  }
  const prime = await runOne('node-error-prime', graph('probe/prime'))
  const error = await runOne('node-error', graph('../outside/escape'))
  ws.close()
  writeFileSync(join(OUT, 'transcript-node-error.jsonl'), `${JSON.stringify(prime)}\n${JSON.stringify(error)}\n`)
  results.transcript = { recorded: ['node-error'], messages: error.messages.length }
  log('transcript: node-error recorded', error.messages.length, 'messages')
}

async function phaseFlags() {
  const variants: { name: string; args: string[]; workflow?: string }[] = [
    { name: 'default', args: [] },
    {
      name: 'highvram + cudagraph workflow',
      args: ['--highvram', '--disable-cuda-malloc'],
      workflow: join(WORKFLOWS, 'sdxl-turbo-cudagraph'),
    },
    { name: 'highvram', args: ['--highvram'] },
    { name: 'gpu-only', args: ['--gpu-only'] },
    { name: 'disable-api-nodes', args: ['--disable-api-nodes'] },
    { name: 'highvram fast', args: ['--highvram', '--fast'] },
    { name: 'highvram disable-smart-memory', args: ['--highvram', '--disable-smart-memory'] },
  ]
  const selected = env.GI_FLAGS ? variants.filter((v) => env.GI_FLAGS!.split(',').includes(v.name)) : variants
  const out: Record<string, unknown> = {}
  let referenceFile: string | undefined
  for (const variant of selected) {
    if (Date.now() - t0 > budgetMs) {
      log(`flags: out of time budget, skipping ${variant.name}`)
      continue
    }
    if (main) {
      await stopProc(main)
      main = undefined
    }
    try {
      log(`flags: ${variant.name}`)
      const { proc, ...cold } = await coldGenimage(
        variant.args,
        `flags-${variant.name.replace(/\W+/g, '-')}`,
        variant.workflow,
      )
      main = proc
      const image = await generate(GENIMAGE_PORT, FIXED)
      const file = await savePixels(`flags-${variant.name.replace(/\W+/g, '-')}`, image.image)
      referenceFile ??= file
      const row = {
        cold,
        latency_512_1step: await latencyRow(GENIMAGE_PORT, variant.name),
        trace_512_1step: await trace(15, SIZE_512, variant.workflow ? 'sdxl-turbo-cudagraph' : 'sdxl-turbo'),
        pixels_vs_default: comparePixels(referenceFile, file),
      }
      out[variant.name] = row
      log(
        `flags ${variant.name}: p50 ${row.latency_512_1step.end_to_end_ms.p50} ms, ready ${cold.process_to_ready_ms} ms`,
        row.pixels_vs_default,
      )
    } catch (error) {
      log(`flags ${variant.name} failed: ${(error as Error).message}`)
      out[variant.name] = { error: String((error as Error).message) }
      if (main) await stopProc(main).catch(() => {})
      main = undefined
    }
    results.flags = out
    save()
  }
}

async function phaseFloor() {
  log('floor: floor.py (in-process CLIP / sampler / VAE / PNG timings)')
  const ckpt = join(MODELS, 'checkpoints', 'sd_xl_turbo_1.0_fp16.safetensors')
  const run = spawnSync(PY, [join(REPO, 'bench/gpu/floor.py'), ckpt], {
    encoding: 'utf8',
    env: { ...process.env, COMFYUI_DIR: COMFY_DIR },
    timeout: 180_000,
  })
  writeFileSync(join(LOGS, 'floor.log'), `${run.stdout}\n${run.stderr}`)
  results.floor = run.stdout.trim().split('\n')
  log('floor', results.floor)
  const encode = spawnSync(PY, [join(REPO, 'bench/gpu/pixels.py'), 'encode'], { encoding: 'utf8', timeout: 120_000 })
  results.encode_natural = encode.status === 0 ? JSON.parse(encode.stdout) : { error: encode.stderr.slice(-400) }
  log('encode (natural-looking image)', results.encode_natural)
}

/** Where ComfyUI's boot goes: `python3 -X importtime main.py --quick-test-for-ci` (imports and node init, then exit). */
async function phaseBootProfile() {
  if (main) {
    await stopProc(main)
    main = undefined
  }
  const args = ['-X', 'importtime', 'main.py', '--quick-test-for-ci', '--disable-auto-launch']
  args.push('--extra-model-paths-config', writeExtraModelPaths(), ...BASE_COMFY_ARGS)
  const started = now()
  const run = spawnSync(PY, args, { cwd: COMFY_DIR, encoding: 'utf8', timeout: 120_000, maxBuffer: 256 * 1024 * 1024 })
  const wallMs = now() - started
  writeFileSync(join(LOGS, 'importtime.txt'), run.stderr ?? '')
  const top: { module: string; cumulative_ms: number }[] = []
  for (const line of (run.stderr ?? '').split('\n')) {
    const match = /^import time:\s+\d+ \|\s+(\d+) \|( +)(\S+)/.exec(line)
    if (match && match[2]!.length <= 1)
      top.push({ module: match[3]!, cumulative_ms: round(Number(match[1]) / 1000, 0) })
  }
  top.sort((a, b) => b.cumulative_ms - a.cumulative_ms)
  results.boot_profile = {
    quick_test_wall_ms: round(wallMs, 0),
    imports_total_ms: top.reduce((sum, row) => sum + row.cumulative_ms, 0),
    top_level_imports: top.slice(0, 25),
  }
  log('boot profile', { wall: round(wallMs, 0), top: top.slice(0, 8) })
}

const PHASES: Record<string, () => Promise<void>> = {
  cold: phaseCold,
  contract: phaseContract,
  bench: phaseBench,
  throughput: phaseThroughput,
  trace: phaseTrace,
  formats: phaseFormats,
  cudagraph: phaseCudagraph,
  transcript: phaseTranscript,
  flags: phaseFlags,
  floor: phaseFloor,
  bootprofile: phaseBootProfile,
}

const phases = process.argv.slice(2)
for (const phase of phases)
  if (!PHASES[phase]) throw new Error(`unknown phase ${phase}; known: ${Object.keys(PHASES).join(' ')}`)
results.gpu = await gpuName()
results.local_fake = LOCAL
results.runs = [...((results.runs as unknown[]) ?? []), { phases, started_at: new Date().toISOString() }]
log(`GPU: ${results.gpu}; phases: ${phases.join(' ')}`)
for (const phase of phases) {
  if (Date.now() - t0 > budgetMs) {
    log(`skipping ${phase}: past the time budget`)
    continue
  }
  const started = now()
  try {
    await PHASES[phase]!()
  } catch (error) {
    log(`phase ${phase} failed: ${(error as Error).stack}`)
    results[`${phase}_error`] = String((error as Error).stack ?? error)
  }
  const seconds = (results.phase_seconds as Record<string, number> | undefined) ?? {}
  seconds[phase] = round((now() - started) / 1000)
  results.phase_seconds = seconds
  save()
}
if (main) await stopProc(main)
save()
log('done')
process.exit(0)

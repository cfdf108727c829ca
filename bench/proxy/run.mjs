// Proxy overhead: end-to-end latency of POST /generate minus ComfyUI's own execution time, with the fake ComfyUI
// (a separate process on loopback) standing in for ComfyUI. Side by side in one run, against the same fake process:
//   - genimage-server (COMFYUI_URL = the fake): WebSocket completion, image bytes over the socket, in-memory store;
//   - the tutorial's pattern (tutorial-baseline.mjs): SaveImage to disk, poll /history every 500 ms, read the file;
//   - the same pattern polling every 2 ms (the best polling can do).
// Execution time is the fake's own: dequeue → `executing {node: null}` (ComfyUI's "Prompt executed in …"), read from
// GET /fake/executions after each request. Requests are sequential and interleaved across variants.
// Usage: npm run build -w @genimage/server -w @genimage/fake-comfyui && node bench/proxy/run.mjs [requests=40] [stepMs=200] [result=proxy-overhead]
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePort, percentile, printTable, writeResult } from '../lib.mjs'

const requests = Number(process.argv[2] ?? 40)
const stepMs = Number(process.argv[3] ?? 200)
const resultName = process.argv[4] ?? 'proxy-overhead'
const warmup = 5
const body = { width: 512, height: 512, num_inference_steps: 1 }
const root = fileURLToPath(new URL('../..', import.meta.url))

const children = []
const launch = (args, env = {}) => {
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  children.push(child)
  child.once('exit', (code, signal) => {
    if (!stopping) {
      console.error(`${args.join(' ')} exited (${code ?? signal})`)
      process.exit(1)
    }
  })
  return child
}
let stopping = false
process.on('exit', () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
})

const waitFor = async (url, what) => {
  const deadline = Date.now() + 60_000
  for (;;) {
    const ok = await fetch(url).then(
      (response) => response.ok,
      () => false,
    )
    if (ok) return
    if (Date.now() > deadline) throw new Error(`${what} did not come up at ${url}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

const output = await mkdtemp(join(tmpdir(), 'genimage-bench-comfy-output-'))
const fakePort = await freePort()
const fakeUrl = `http://127.0.0.1:${fakePort}`
launch([
  'packages/fake-comfyui/dist/cli.js',
  '--listen',
  '127.0.0.1',
  '--port',
  String(fakePort),
  '--step-ms',
  String(stepMs),
  '--output-directory',
  output,
  '--quiet',
])
await waitFor(`${fakeUrl}/system_stats`, 'the fake ComfyUI')

const variants = []
{
  const port = await freePort()
  launch(['packages/server/bin/genimage-server.js'], {
    PORT: String(port),
    HOST: '127.0.0.1',
    COMFYUI_URL: fakeUrl,
    COMFYUI_DIR: '',
    LOG_LEVEL: 'info',
  })
  variants.push({ name: 'genimage-server (WebSocket, bytes over the socket)', url: `http://127.0.0.1:${port}` })
  await waitFor(`${variants.at(-1).url}/ready`, 'genimage-server')
}
for (const pollMs of [500, 2]) {
  const port = await freePort()
  launch(['bench/proxy/tutorial-baseline.mjs'], {
    PORT: String(port),
    COMFYUI_URL: fakeUrl,
    COMFYUI_OUTPUT: output,
    POLL_MS: String(pollMs),
  })
  variants.push({
    name: `tutorial pattern (SaveImage, /history every ${pollMs} ms)`,
    url: `http://127.0.0.1:${port}`,
    pollMs,
  })
  await waitFor(`${variants.at(-1).url}/health`, `the baseline polling every ${pollMs} ms`)
}

let executionsSeen = (await (await fetch(`${fakeUrl}/fake/executions`)).json()).length
/** One request: client latency and the execution time the fake reports for the prompt it ran. */
const measure = async (variant, index) => {
  const started = performance.now()
  const response = await fetch(`${variant.url}/generate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...body, prompt: `proxy bench ${variant.name} ${index}`, seed: index }),
  })
  const result = await response.json()
  const latency = performance.now() - started
  // genimage's own view: accepted → finished, inside the server.
  const serverMs = result.timings?.total_ms
  if (response.status !== 200 || !result.image?.url) throw new Error(`${variant.name}: ${JSON.stringify(result)}`)
  const executions = await (await fetch(`${fakeUrl}/fake/executions`)).json()
  const fresh = executions.slice(executionsSeen)
  executionsSeen = executions.length
  if (fresh.length !== 1 || fresh[0].status !== 'success') {
    throw new Error(`${variant.name}: expected one finished prompt, got ${JSON.stringify(fresh)}`)
  }
  return { latency, execution: fresh[0].execution_ms, serverMs }
}

// The machine's floor: one loopback HTTP round trip to a bare node:http server after the same idle time as a
// generation (idle processes wake up slower than busy ones). A proxy needs at least two such round trips' worth of
// hops (client ↔ proxy, proxy ↔ ComfyUI).
const floorPort = await freePort()
launch(['-e', `require('node:http').createServer((q, s) => s.end('{}')).listen(${floorPort}, '127.0.0.1')`], {})
await waitFor(`http://127.0.0.1:${floorPort}/`, 'the bare HTTP server')
const floor = []
for (let index = 0; index < requests + warmup; index += 1) {
  await new Promise((resolve) => setTimeout(resolve, stepMs))
  const started = performance.now()
  await (await fetch(`http://127.0.0.1:${floorPort}/`)).json()
  if (index >= warmup) floor.push(performance.now() - started)
}

for (const variant of variants) {
  variant.samples = []
  for (let index = 0; index < warmup; index += 1) await measure(variant, 1_000_000 + index)
}
for (let index = 0; index < requests; index += 1) {
  for (const variant of variants) variant.samples.push(await measure(variant, index))
}

stopping = true
for (const child of children) child.kill('SIGTERM')
await rm(output, { recursive: true, force: true })

const round = (value) => Math.round(value * 100) / 100
const stats = (values) => ({
  p50: round(percentile(values, 50)),
  p90: round(percentile(values, 90)),
  p99: round(percentile(values, 99)),
  min: round(Math.min(...values)),
  max: round(Math.max(...values)),
})
const results = variants.map((variant) => {
  const latency = variant.samples.map((s) => s.latency)
  const execution = variant.samples.map((s) => s.execution)
  const overhead = variant.samples.map((s) => s.latency - s.execution)
  return {
    variant: variant.name,
    requests: variant.samples.length,
    latency_ms: stats(latency),
    execution_ms: stats(execution),
    overhead_ms: stats(overhead),
    ...(variant.samples[0].serverMs !== undefined
      ? {
          inside_server_ms: stats(variant.samples.map((s) => s.serverMs - s.execution)),
          outside_server_ms: stats(variant.samples.map((s) => s.latency - s.serverMs)),
        }
      : {}),
  }
})
const loopback = stats(floor)

printTable(
  results.map((r) => ({
    variant: r.variant,
    n: r.requests,
    'latency p50': r.latency_ms.p50,
    'execution p50': r.execution_ms.p50,
    'overhead p50': r.overhead_ms.p50,
    'overhead p90': r.overhead_ms.p90,
    'overhead p99': r.overhead_ms.p99,
  })),
)
const genimage = results[0]
console.log(
  `\ngenimage overhead p50 split: ${genimage.inside_server_ms.p50} ms inside the server (accepted → finished, minus ` +
    `execution: POST /prompt and WebSocket hops, validation, store) + ${genimage.outside_server_ms.p50} ms outside ` +
    `(client ↔ server hop, HTTP parsing)`,
)
console.log(`machine floor: one loopback HTTP round trip after ${stepMs} ms idle, p50 ${loopback.p50} ms`)
const target = { genimage_overhead_p50_ms: 3, measured_p50_ms: results[0].overhead_ms.p50 }
target.met = target.measured_p50_ms <= target.genimage_overhead_p50_ms
console.log(`\ngenimage overhead p50 ${target.measured_p50_ms} ms (target ≤ ${target.genimage_overhead_p50_ms} ms)`)

const path = await writeResult(resultName, {
  bench: 'proxy overhead: POST /generate latency minus ComfyUI execution time (fake ComfyUI on loopback)',
  settings: {
    requests_per_variant: requests,
    warmup_per_variant: warmup,
    fake_step_ms: stepMs,
    request: body,
    execution_time: 'fake ComfyUI: dequeue to executing {node: null} (GET /fake/executions)',
    order: 'sequential, one request at a time, interleaved across variants',
  },
  target,
  loopback_round_trip_after_idle_ms: loopback,
  results,
})
console.log(`wrote ${path}`)
process.exit(0)

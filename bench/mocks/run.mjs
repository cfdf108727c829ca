// 1,000 mocked 512×512 generate() calls through msw/node, side by side with two baselines in one run:
// the msw floor (a static JSON handler answering raw fetch) and the genimage mock answering raw fetch.
//
// Method: every (variant, round) runs in a fresh child process (a fork of this script in worker mode), one child at a
// time, the variants taking turns within each round in a rotating order. A child sets up msw with the variant's
// handlers as a test suite would, makes WARM_UP calls (not timed: they let V8 compile the path), collects the garbage
// they left, then times `calls` calls, all under msw. Why children: msw 3.0.5 keeps ~29 KB per intercepted request
// until the process exits (docs/benchmarks.md), so in one process the heap grows by ~0.8 GB over a run and each full
// GC lands in whichever variant's round happens to run. A fresh process gives every variant the same heap to start
// from; each timed round still pays for its own calls' garbage and msw's retention, as a suite of `calls` tests would.
// The table gives each variant's median wall time over the rounds and its ratio to the floor's median (the target),
// the per-round ratios (children that ran back to back, so a machine whose load changes during the run slows them
// alike) and the ratio of median CPU time (the child's, GC threads included) as a cross-check.
// Usage: npm run build && node bench/mocks/run.mjs [calls=1000] [rounds=15] (about 4 minutes on two cores)
import { fork } from 'node:child_process'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { createClient } from '@genimage/client'
import { createGenimageMock } from '@genimage/mocks'
import { getResponse, HttpResponse, http } from 'msw'
import { setupServer } from 'msw/node'
import { median, printTable, writeResult } from '../lib.mjs'

/** Untimed calls each child makes before timing. */
const WARM_UP = 500
const baseUrl = 'http://bench.genimage.test'
const body = (index) => ({ prompt: `bench prompt ${index}`, width: 512, height: 512 })

const staticAnswer = {
  image: {
    url: `${baseUrl}/files/x.png`,
    content_type: 'image/png',
    file_name: 'x.png',
    file_size: 1,
    width: 512,
    height: 512,
  },
  seed: 1,
  timings: { queue_ms: 0, inference_ms: 0, encode_ms: 0, total_ms: 0 },
}

const rawFetch = async (index) => {
  const response = await fetch(`${baseUrl}/generate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body(index)),
  })
  await response.json()
}

/** The core app answering `Request` objects directly: what the mock costs without msw and fetch. */
const directApp = () => {
  let handlers
  return {
    handlers: () => {
      handlers = createGenimageMock({ baseUrl }).handlers
      return []
    },
    call: () => async (index) => {
      const request = new Request(`${baseUrl}/generate`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body(index)),
      })
      const response = await getResponse(handlers, request)
      await response.json()
    },
  }
}

const variants = [
  { name: 'genimage mock, no fetch (getResponse)', ...directApp() },
  {
    name: 'msw floor: static handler + fetch',
    handlers: () => [http.post(`${baseUrl}/generate`, () => HttpResponse.json(staticAnswer))],
    call: () => rawFetch,
  },
  { name: 'genimage mock + fetch', handlers: () => createGenimageMock({ baseUrl }).handlers, call: () => rawFetch },
  {
    name: 'genimage mock + @genimage/client',
    handlers: () => createGenimageMock({ baseUrl }).handlers,
    call: () => {
      const client = createClient({ baseUrl })
      return (index) => client.generate(body(index))
    },
  },
]

/** Worker mode: one variant, one round; sends the timed wall and CPU totals (ms) to the parent. */
const worker = async (variantIndex, calls) => {
  const variant = variants[variantIndex]
  const server = setupServer(...variant.handlers())
  const call = variant.call()
  server.listen({ onUnhandledFrame: 'error' })
  for (let index = 0; index < WARM_UP; index += 1) await call(index)
  globalThis.gc()
  const cpuBefore = process.cpuUsage()
  const started = performance.now()
  for (let index = WARM_UP; index < WARM_UP + calls; index += 1) await call(index)
  const total = performance.now() - started
  const cpu = process.cpuUsage(cpuBefore)
  server.close()
  process.send({ total_ms: total, cpu_ms: (cpu.user + cpu.system) / 1000 })
}

/** Forks this script in worker mode and resolves with its timed totals: `{ total_ms, cpu_ms }`. */
const runChild = (variantIndex, calls) =>
  new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), ['--worker', String(variantIndex), String(calls)], {
      execArgv: ['--expose-gc'],
    })
    let timed
    child.on('message', (message) => {
      timed = message
    })
    child.on('error', reject)
    child.on('exit', (code) =>
      code === 0 && timed !== undefined ? resolve(timed) : reject(new Error(`worker exited with ${code}`)),
    )
  })

const parent = async (calls, rounds) => {
  const totals = variants.map(() => [])
  const cpus = variants.map(() => [])
  for (let round = 0; round < rounds; round += 1) {
    for (let turn = 0; turn < variants.length; turn += 1) {
      const index = (round + turn) % variants.length
      const { total_ms, cpu_ms } = await runChild(index, calls)
      totals[index].push(total_ms)
      cpus[index].push(cpu_ms)
    }
  }
  const floorIndex = variants.findIndex((variant) => variant.name.startsWith('msw floor'))
  const floor = median(totals[floorIndex])
  const results = variants.map((variant, index) => ({
    variant: variant.name,
    calls,
    rounds,
    median_total_ms: median(totals[index]),
    per_call_ms: median(totals[index]) / calls,
    vs_floor: median(totals[index]) / floor,
    totals_ms: totals[index],
    round_vs_floor: totals[index].map((total, round) => total / totals[floorIndex][round]),
    median_cpu_ms: median(cpus[index]),
    cpu_vs_floor: median(cpus[index]) / median(cpus[floorIndex]),
    cpu_ms: cpus[index],
  }))

  printTable(
    results.map((r) => ({
      variant: r.variant,
      [`${calls} calls, median of ${rounds} (ms)`]: r.median_total_ms.toFixed(0),
      'per call (ms)': r.per_call_ms.toFixed(3),
      'vs msw floor': `${r.vs_floor.toFixed(2)}×`,
      'round by round vs floor': r.round_vs_floor.map((ratio) => ratio.toFixed(2)).join(' '),
      'CPU time vs floor': `${r.cpu_vs_floor.toFixed(2)}×`,
    })),
  )
  const method = `each (variant, round) in a fresh process, ${WARM_UP} warm-up calls then a GC before timing`
  // The floor is msw's: its major decides how fetch is intercepted (msw 3 through a mock socket), so it is recorded.
  const msw = createRequire(import.meta.url)('msw/package.json').version
  console.log(
    `wrote ${await writeResult('mocked-generate', { benchmark: 'mocked-generate', image: '512x512 png', msw, method, warm_up_calls: WARM_UP, results })}`,
  )
}

/** A command-line count: a whole number ≥ 1, else the usage line and exit code 2. */
const count = (text, fallback, name) => {
  const value = Number(text ?? fallback)
  if (Number.isInteger(value) && value >= 1) return value
  console.error(
    `${name} must be a whole number ≥ 1, not ${text}. Usage: node bench/mocks/run.mjs [calls=1000] [rounds=15]`,
  )
  process.exit(2)
}

if (process.argv[2] === '--worker') await worker(Number(process.argv[3]), Number(process.argv[4]))
else await parent(count(process.argv[2], 1000, 'calls'), count(process.argv[3], 15, 'rounds'))

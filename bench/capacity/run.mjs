// Capacity table: fits the model to the measurements, validates it, and answers "how many GPUs for R requests/s at
// a p99 of X ms" for each (R, X). Writes bench/results/capacity.json (or --out).
//   node bench/capacity/run.mjs [--rate 5,10,25] [--p99 500,1000] [--burst 1] [--seed 1] [--requests 20000]
//                               [--results bench/results] [--out path.json]
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { calibrateSharing, fitModel, RESULTS_DIR, readInputs, validate } from './model.mjs'
import { batchServiceMs, solve } from './sim.mjs'

const usage = `usage: node bench/capacity/run.mjs [--rate R1,R2,…] [--p99 X1,X2,…] [--burst B] [--seed S]
                                   [--requests N] [--results DIR] [--out FILE]`

const fail = (message) => {
  console.error(`capacity: ${message}\n${usage}`)
  process.exit(2)
}

let values
try {
  ;({ values } = parseArgs({
    options: {
      rate: { type: 'string', default: '5,10,25,50,100,200,500' },
      p99: { type: 'string', default: '500,1000,2000' },
      burst: { type: 'string', default: '1' },
      seed: { type: 'string', default: '1' },
      requests: { type: 'string', default: '20000' },
      results: { type: 'string', default: RESULTS_DIR },
      out: { type: 'string', default: join(RESULTS_DIR, 'capacity.json') },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  }))
} catch (error) {
  fail(error.message)
}
if (values.help) {
  console.log(usage)
  process.exit(0)
}

/** Parses a comma-separated list of positive numbers for flag `name`. */
const positives = (name, text) =>
  text.split(',').map((part) => {
    const n = Number(part.trim())
    if (part.trim() === '' || !Number.isFinite(n) || n <= 0) fail(`--${name}: '${part}' is not a positive number`)
    return n
  })
const single = (name, integer) => {
  const list = positives(name, values[name])
  if (list.length !== 1) fail(`--${name} takes one number`)
  if (integer && !Number.isInteger(list[0])) fail(`--${name}: '${values[name]}' is not a whole number`)
  return list[0]
}
const rates = positives('rate', values.rate)
const p99s = positives('p99', values.p99)
const burst = single('burst', false)
if (burst < 1) fail('--burst is the mean clump size, at least 1')
const seed = single('seed', true)
const requests = single('requests', true)
if (requests < 1000) fail('--requests: at least 1000')

let inputs
try {
  inputs = readInputs(values.results)
} catch (error) {
  fail(`cannot read the measurements in ${values.results}: ${error.message}`)
}
const fitted = fitModel(inputs)
const { fit_rms_log_error, ...base } = fitted
const model = calibrateSharing(inputs, base)
const validation = validate(inputs, model)
// requests go through the Redis queue (API nodes + workers): add its measured p50 to every request
const served = { ...model, overheadMs: Math.round((model.overheadMs + inputs.redisAddedMs) * 100) / 100 }

const sizing = []
for (const rate of rates) {
  for (const p99Ms of p99s) {
    const answer = solve({ model: served, rate, p99Ms, burst, requests, seed })
    sizing.push({
      rate,
      p99_target_ms: p99Ms,
      gpus: answer?.gpus ?? null,
      per_gpu: answer?.perGpu ?? null,
      ...(answer ? { simulated: answer.result } : { simulated: null }),
    })
    const cell = answer ? `${answer.gpus} GPU × ${answer.perGpu} (p99 ${answer.result.latency_ms.p99} ms)` : 'none'
    console.log(`R=${rate}/s p99<=${p99Ms} ms: ${cell}`)
  }
}

const result = {
  what: 'Capacity model of genimage at 512² 1 step PNG on H200s: discrete-event simulation (bench/capacity/sim.mjs)',
  command: `node bench/capacity/run.mjs ${process.argv.slice(2).join(' ')}`.trim(),
  inputs: {
    files: ['gpu-h200-pass1.json', 'pool-redis-threads-h200x2.json', 'queue.json'],
    closed_loop_one_comfyui: inputs.closedLoop,
    client_overhead_ms: inputs.clientOverheadMs,
    redis_added_p50_ms: inputs.redisAddedMs,
    service_cv: inputs.cv,
    gpu_speedup_k_instances: inputs.gpuSpeedup,
    max_batch: inputs.maxBatch,
  },
  model: {
    batch_service_ms: `S(b) = ${model.baseMs} + ${model.perImageMs}·b (one instance alone on its GPU), × sharing(k) with k instances per GPU, lognormal with cv ${model.cv}`,
    fit: 'grid search, closed-loop images/s at 1, 2, 4, 8 clients (one ComfyUI, direct); sharing(2), sharing(3) by bisection on the measured pool ratios A2/A1, A3/A1',
    fit_rms_log_error,
    fit_vs_traces: inputs.batchTraces.map((t) => ({ ...t, fitted_ms: batchServiceMs(model, t.batch, 1) })),
    per_request_overhead_ms: served.overheadMs,
    ...model,
  },
  validation,
  settings: { rates, p99_targets_ms: p99s, burst, seed, requests_per_simulation: requests },
  sizing,
}
writeFileSync(values.out, `${JSON.stringify(result, null, 1)}\n`)
console.log(`wrote ${values.out}`)

// The simulation's inputs, read from the committed measurement files in bench/results, and the fit of the batch
// service time S(b) = a + c·b to one ComfyUI's closed-loop throughput curve.
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { simulate } from './sim.mjs'

/** The committed measurement files. */
export const RESULTS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'results')

/**
 * The measured numbers the model uses, each with the file and field it comes from.
 * @param {string} [dir] folder holding gpu-h200-pass1.json, pool-redis-threads-h200x2.json and queue.json
 */
export const readInputs = (dir = RESULTS_DIR) => {
  const read = (name) => JSON.parse(readFileSync(join(dir, name), 'utf8'))
  const gpu = read('gpu-h200-pass1.json')
  const pool = read('pool-redis-threads-h200x2.json')
  const queue = read('queue.json')
  const single = gpu.genimage['512_1step_png']
  const samples = gpu.samples.genimage['512_1step_png']
  const mean = samples.reduce((s, x) => s + x, 0) / samples.length
  const sd = Math.sqrt(samples.reduce((s, x) => s + (x - mean) ** 2, 0) / (samples.length - 1))
  const stages = Object.fromEntries(pool.stages.map((s) => [s.stage, s]))
  const trace8 = gpu.experiment_row_by_row_text_and_vae.trace_512_1step_png_batch8
  const redis = queue.latency.find((v) => v.variant.startsWith('Redis queue, API node + worker'))
  return {
    /** gpu-h200-pass1.json genimage.throughput_512_1step_png: closed loop, one ComfyUI, direct (no Redis) */
    closedLoop: gpu.genimage.throughput_512_1step_png.map((r) => ({
      clients: r.clients,
      images_per_s: r.images_per_s,
      p50: r.latency_ms.p50,
      p99: r.latency_ms.p99,
    })),
    /** client-side time outside the server: end_to_end p50 − server_total p50 (gpu-h200-pass1.json, 512² 1 step PNG) */
    clientOverheadMs: Math.round((single.end_to_end_ms.p50 - single.server_total_ms.p50) * 10) / 10,
    /** queue.json: p50 latency the Redis queue (API node + worker) adds over the embedded queue */
    redisAddedMs: redis.added_vs_embedded_ms.p50,
    /** coefficient of variation of single 512² 1 step PNG requests (gpu-h200-pass1.json samples) */
    cv: Math.round((sd / mean) * 1000) / 1000,
    /** direct measurements of a batch's time in ComfyUI (total_ms p50) for comparison with the fit */
    batchTraces: [
      { batch: 1, total_ms: single.server_total_ms.p50, source: 'genimage.512_1step_png.server_total_ms.p50' },
      {
        batch: 8,
        total_ms: trace8.total_ms.p50,
        source: 'experiment_row_by_row_text_and_vae.trace_512_1step_png_batch8.total_ms.p50 (reverted variant)',
      },
    ],
    /** pool-redis-threads-h200x2.json: 16 clients through Redis */
    pools: ['one', 'A1', 'A2', 'A3'].map((name) => ({
      stage: name,
      gpus: name === 'one' ? 1 : 2,
      perGpu: stages[name].comfyui_instances / (name === 'one' ? 1 : 2),
      clients: pool.clients,
      images_per_s: stages[name].images_per_s,
      p50: stages[name].latency_ms.p50,
      p99: stages[name].latency_ms.p99,
    })),
    /** k instances on a GPU relative to one: images/s of 2 GPUs × k over 2 GPUs × 1 */
    gpuSpeedup: {
      1: 1,
      2: Math.round((stages.A2.images_per_s / stages.A1.images_per_s) * 1000) / 1000,
      3: Math.round((stages.A3.images_per_s / stages.A1.images_per_s) * 1000) / 1000,
    },
    maxBatch: 8,
  }
}

/** Clients in the closed-loop runs used for the fit; the 16-client run is held out for validation. */
export const FIT_CLIENTS = [1, 2, 4, 8]

/**
 * Fits S(b) = a + c·b by grid search (a in 2 ms, c in 1 ms steps) minimising the squared log error of the simulated
 * closed-loop images/s against the measured ones at FIT_CLIENTS clients on one ComfyUI.
 * @param {ReturnType<typeof readInputs>} inputs
 * @returns {import('./sim.mjs').Model & { fit_rms_log_error: number }}
 */
export const fitModel = (inputs) => {
  const base = {
    maxBatch: inputs.maxBatch,
    cv: inputs.cv,
    sharing: { 1: 1 },
    overheadMs: inputs.clientOverheadMs,
  }
  const points = inputs.closedLoop.filter((p) => FIT_CLIENTS.includes(p.clients))
  let best = null
  for (let a = 40; a <= 140; a += 2) {
    for (let c = 5; c <= 60; c++) {
      const model = { ...base, baseMs: a, perImageMs: c }
      let err = 0
      for (const p of points) {
        const sim = simulate({ model, gpus: 1, perGpu: 1, clients: p.clients, requests: 400, seed: 7 })
        err += Math.log(sim.throughput / p.images_per_s) ** 2
      }
      if (best === null || err < best.err) best = { err, model }
    }
  }
  return { ...best.model, fit_rms_log_error: Math.round(Math.sqrt(best.err / points.length) * 1000) / 1000 }
}

/**
 * Calibrates the service-time multiplier of k = 2, 3 instances per GPU (bisection) so that the simulated images/s of
 * 2 GPUs × k over 2 GPUs × 1 (16 clients, through Redis) equals the measured ratio in gpuSpeedup.
 * @param {ReturnType<typeof readInputs>} inputs
 * @param {import('./sim.mjs').Model} model with sharing { 1: 1 }
 * @returns {import('./sim.mjs').Model}
 */
export const calibrateSharing = (inputs, model) => {
  const redisModel = { ...model, overheadMs: model.overheadMs + inputs.redisAddedMs }
  const pool = (m, k) => simulate({ model: m, gpus: 2, perGpu: k, clients: 16, requests: 2000, seed: 13 }).throughput
  const one = pool(redisModel, 1)
  const sharing = { 1: 1 }
  for (const k of [2, 3]) {
    let lo = 1
    let hi = 2 * k
    for (let i = 0; i < 20; i++) {
      const mid = (lo + hi) / 2
      const ratio = pool({ ...redisModel, sharing: { ...sharing, [k]: mid } }, k) / one
      if (ratio > inputs.gpuSpeedup[k]) lo = mid
      else hi = mid
    }
    sharing[k] = Math.round(((lo + hi) / 2) * 1000) / 1000
  }
  return { ...model, sharing }
}

/**
 * Simulates the measured scenarios (closed loop, 16 clients) and returns measured vs simulated with relative errors.
 * Direct runs use the client overhead only; pool runs through Redis add queue.json's Redis p50.
 * @param {ReturnType<typeof readInputs>} inputs
 * @param {import('./sim.mjs').Model} model
 */
export const validate = (inputs, model) => {
  const err = (sim, measured) => Math.round(((sim - measured) / measured) * 1000) / 10
  const row = (name, measured, sim, use) => ({
    scenario: name,
    use,
    measured: { images_per_s: measured.images_per_s, p50_ms: measured.p50, p99_ms: measured.p99 },
    simulated: { images_per_s: sim.throughput, p50_ms: sim.latency_ms.p50, p99_ms: sim.latency_ms.p99 },
    error_pct: {
      images_per_s: err(sim.throughput, measured.images_per_s),
      p50: err(sim.latency_ms.p50, measured.p50),
      p99: err(sim.latency_ms.p99, measured.p99),
    },
  })
  const rows = inputs.closedLoop.map((p) =>
    row(
      `one ComfyUI direct, ${p.clients} clients`,
      p,
      simulate({ model, gpus: 1, perGpu: 1, clients: p.clients, requests: 2000, seed: 11 }),
      FIT_CLIENTS.includes(p.clients) ? 'fit' : 'held out',
    ),
  )
  const redisModel = { ...model, overheadMs: model.overheadMs + inputs.redisAddedMs }
  for (const p of inputs.pools) {
    const sim = simulate({
      model: redisModel,
      gpus: p.gpus,
      perGpu: p.perGpu,
      clients: p.clients,
      requests: 2000,
      seed: 11,
    })
    // A2 and A3's images/s relative to A1 calibrate the sharing multipliers; their latencies and A1's level are not fit
    const use = p.perGpu > 1 ? 'images/s ratio to A1 calibrated, latency held out' : 'held out'
    rows.push(row(`Redis pool ${p.stage}: ${p.gpus} GPU × ${p.perGpu}, ${p.clients} clients`, p, sim, use))
  }
  return rows
}

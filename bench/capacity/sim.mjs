// Discrete-event simulation of genimage's serving path: one FIFO queue in front of N GPUs × k ComfyUI instances,
// each instance taking up to MAX_BATCH waiting requests at once (never waiting to fill a batch).
// Deterministic for a given seed. Times are in milliseconds.

/**
 * A seeded PRNG (mulberry32) returning floats in [0, 1).
 * @param {number} seed
 * @returns {() => number}
 */
export const rng = (seed) => {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * The p-th percentile (0–100) of sorted numbers, by nearest rank.
 * @param {number[]} sorted ascending
 * @param {number} p
 */
export const percentileSorted = (sorted, p) =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]

/** Exponential variate with the given mean. */
const exponential = (random, mean) => -mean * Math.log(1 - random())

/** Standard normal variate (Box–Muller). */
const normal = (random) => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random())

/**
 * A service-time multiplier with mean 1: 1 when `cv` is 0, exponential when `dist` is 'exponential', else lognormal
 * with coefficient of variation `cv`.
 */
const jitter = (random, dist, cv) => {
  if (dist === 'exponential') return exponential(random, 1)
  if (cv === 0) return 1
  const sigma = Math.sqrt(Math.log(1 + cv * cv))
  return Math.exp(sigma * normal(random) - (sigma * sigma) / 2)
}

/** A binary min-heap of events ordered by time, then by insertion order (for determinism). */
class EventQueue {
  constructor() {
    this.items = []
    this.seq = 0
  }
  get size() {
    return this.items.length
  }
  push(time, event) {
    const items = this.items
    items.push({ time, seq: this.seq++, event })
    let i = items.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!before(items[i], items[parent])) break
      ;[items[i], items[parent]] = [items[parent], items[i]]
      i = parent
    }
  }
  pop() {
    const items = this.items
    const top = items[0]
    const last = items.pop()
    if (items.length > 0) {
      items[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        if (l < items.length && before(items[l], items[m])) m = l
        if (r < items.length && before(items[r], items[m])) m = r
        if (m === i) break
        ;[items[i], items[m]] = [items[m], items[i]]
        i = m
      }
    }
    return top
  }
}
const before = (a, b) => a.time < b.time || (a.time === b.time && a.seq < b.seq)

/**
 * @typedef {object} Model
 * @property {number} baseMs   batch service time intercept a: S(b) = a + c·b for one instance alone on its GPU
 * @property {number} perImageMs  slope c
 * @property {number} maxBatch  MAX_BATCH
 * @property {number} cv  coefficient of variation of a batch's service time (lognormal)
 * @property {'lognormal' | 'exponential'} [dist]  'exponential' for M/M/1-style checks
 * @property {Record<string, number>} sharing  k → service-time multiplier of an instance sharing its GPU with k - 1
 *   others (1 for k = 1), calibrated so that the simulated pools reproduce the measured pool ratios
 * @property {number} overheadMs  per-request time outside the GPU queue (HTTP, queue hand-off), added to latency
 */

/**
 * Mean service time of a batch of b on an instance that shares its GPU with k - 1 others: S(b) · sharing(k).
 * @param {Model} model
 * @param {number} b batch size
 * @param {number} k instances per GPU
 */
export const batchServiceMs = (model, b, k) => {
  const multiplier = model.sharing[String(k)]
  if (multiplier === undefined) throw new Error(`no measured sharing effect for ${k} instances per GPU`)
  return (model.baseMs + model.perImageMs * b) * multiplier
}

/**
 * Runs the simulation.
 * Open loop (`rate` set): Poisson arrivals at `rate` requests/s, optionally in bursts (clumps of geometric size
 * with mean `burst`, the clumps Poisson at rate / burst). Closed loop (`clients` set): each client sends its next
 * request `overheadMs` after its previous one finished.
 * The first `warmup` fraction of requests is left out of the statistics.
 * @param {{ model: Model, gpus: number, perGpu: number, rate?: number, clients?: number, burst?: number,
 *   requests?: number, warmup?: number, seed?: number }} options
 * @returns {{ requests: number, throughput: number, latency_ms: { mean: number, p50: number, p95: number, p99: number },
 *   wait_ms: { mean: number, p99: number }, utilisation: number, queue_depth: { mean: number, max: number },
 *   mean_batch: number }}
 */
export const simulate = ({
  model,
  gpus,
  perGpu,
  rate,
  clients,
  burst = 1,
  requests = 20_000,
  warmup = 0.1,
  seed = 1,
}) => {
  if ((rate === undefined) === (clients === undefined)) throw new Error('give exactly one of rate or clients')
  const random = rng(seed)
  const dist = model.dist ?? 'lognormal'
  const instances = gpus * perGpu
  const idle = Array.from({ length: instances }, (_, i) => i)
  const busyMs = new Array(instances).fill(0)
  const waiting = [] // request ids, FIFO
  let head = 0
  const arrival = []
  const started = []
  const done = []
  const events = new EventQueue()
  let created = 0
  let batches = 0
  let batched = 0
  // queue depth, time-weighted over the measured window
  let depthArea = 0
  let depthMax = 0
  let lastT = 0
  let measureFrom = Number.NaN
  const warmCount = Math.floor(requests * warmup)

  const create = (t) => {
    if (created >= requests) return
    const id = created++
    arrival[id] = t
    if (id === warmCount) measureFrom = t
    events.push(t, { type: 'arrive', id })
  }
  const dispatch = (t) => {
    while (idle.length > 0 && head < waiting.length) {
      const instance = idle.shift()
      const ids = waiting.slice(head, head + model.maxBatch)
      head += ids.length
      const service = batchServiceMs(model, ids.length, perGpu) * jitter(random, dist, model.cv)
      for (const id of ids) started[id] = t
      if (t >= measureFrom) {
        batches++
        batched += ids.length
      }
      busyMs[instance] += service
      events.push(t + service, { type: 'done', instance, ids })
    }
  }

  if (rate !== undefined) {
    // arrivals: clumps at rate / burst, each of geometric size with mean burst
    let t = 0
    while (created < requests) {
      t += exponential(random, (1000 * burst) / rate)
      let size = 1
      while (burst > 1 && random() > 1 / burst) size++
      for (let i = 0; i < size; i++) create(t)
    }
  } else {
    for (let c = 0; c < clients; c++) create(0)
  }

  while (events.size > 0) {
    const { time: t, event } = events.pop()
    if (t >= measureFrom) {
      const from = Math.max(lastT, measureFrom)
      depthArea += (waiting.length - head) * (t - from)
    }
    lastT = t
    if (event.type === 'arrive') {
      waiting.push(event.id)
    } else {
      idle.push(event.instance)
      for (const id of event.ids) {
        done[id] = t
        if (clients !== undefined) create(t + model.overheadMs)
      }
    }
    dispatch(t)
    if (t >= measureFrom) depthMax = Math.max(depthMax, waiting.length - head)
  }

  const ids = []
  for (let id = warmCount; id < requests; id++) ids.push(id)
  const latency = ids.map((id) => done[id] - arrival[id] + model.overheadMs).sort((a, b) => a - b)
  const wait = ids.map((id) => started[id] - arrival[id]).sort((a, b) => a - b)
  const end = ids.reduce((m, id) => Math.max(m, done[id]), 0)
  const windowMs = end - measureFrom
  const mean = (xs) => xs.reduce((s, x) => s + x, 0) / xs.length
  const round = (x) => Math.round(x * 10) / 10
  return {
    requests: ids.length,
    throughput: round((1000 * ids.length) / windowMs),
    latency_ms: {
      mean: round(mean(latency)),
      p50: round(percentileSorted(latency, 50)),
      p95: round(percentileSorted(latency, 95)),
      p99: round(percentileSorted(latency, 99)),
    },
    wait_ms: { mean: round(mean(wait)), p99: round(percentileSorted(wait, 99)) },
    utilisation: Math.round((busyMs.reduce((s, x) => s + x, 0) / (instances * lastT)) * 1000) / 1000,
    queue_depth: { mean: round(depthArea / windowMs), max: depthMax },
    mean_batch: round(batched / batches),
  }
}

/**
 * The fewest GPUs (and, for that count, the instances per GPU with the lowest p99) that serve `rate` requests/s at
 * a simulated p99 ≤ `p99Ms` while keeping up (throughput ≥ 98 % of the rate). Returns null when no count up to
 * `maxGpus` does, or when even an idle instance cannot meet the p99.
 * @param {{ model: Model, rate: number, p99Ms: number, perGpuChoices?: number[], maxGpus?: number, burst?: number,
 *   requests?: number, seed?: number }} options
 */
export const solve = ({
  model,
  rate,
  p99Ms,
  perGpuChoices,
  maxGpus = 1000,
  burst = 1,
  requests = 20_000,
  seed = 1,
}) => {
  const choices = perGpuChoices ?? Object.keys(model.sharing).map(Number)
  // lower bound: a GPU cannot exceed its best saturated throughput
  const perGpuMax = Math.max(
    ...choices.map((k) => (1000 * k * model.maxBatch) / batchServiceMs(model, model.maxBatch, k)),
  )
  for (let gpus = Math.max(1, Math.ceil(rate / perGpuMax)); gpus <= maxGpus; gpus++) {
    let best = null
    for (const perGpu of choices) {
      const result = simulate({ model, gpus, perGpu, rate, burst, requests, seed })
      if (result.throughput >= 0.98 * rate && result.latency_ms.p99 <= p99Ms) {
        if (best === null || result.latency_ms.p99 < best.result.latency_ms.p99) best = { gpus, perGpu, result }
      }
    }
    if (best !== null) return best
    // more GPUs cannot help once a lightly loaded system already misses the target
    const light = simulate({ model, gpus, perGpu: 1, rate: Math.min(rate, 1), requests: 2000, seed })
    if (light.latency_ms.p99 > p99Ms) return null
  }
  return null
}

// Types of sim.mjs for the TypeScript tests.

/** The simulated system's parameters (see sim.mjs). */
export interface Model {
  baseMs: number
  perImageMs: number
  maxBatch: number
  cv: number
  dist?: 'lognormal' | 'exponential'
  sharing: Record<string, number>
  overheadMs: number
}

/** One simulation's statistics. */
export interface SimResult {
  requests: number
  throughput: number
  latency_ms: { mean: number; p50: number; p95: number; p99: number }
  wait_ms: { mean: number; p99: number }
  utilisation: number
  queue_depth: { mean: number; max: number }
  mean_batch: number
}

/** A seeded PRNG (mulberry32) returning floats in [0, 1). */
export function rng(seed: number): () => number
/** The p-th percentile (0–100) of sorted numbers, by nearest rank. */
export function percentileSorted(sorted: number[], p: number): number
/** Mean service time of a batch of b on an instance sharing its GPU with k - 1 others. */
export function batchServiceMs(model: Model, b: number, k: number): number
/** Runs the simulation (open loop with `rate`, closed loop with `clients`). */
export function simulate(options: {
  model: Model
  gpus: number
  perGpu: number
  rate?: number
  clients?: number
  burst?: number
  requests?: number
  warmup?: number
  seed?: number
}): SimResult
/** The fewest GPUs (and instances per GPU) for `rate` requests/s at a simulated p99 ≤ `p99Ms`, or null. */
export function solve(options: {
  model: Model
  rate: number
  p99Ms: number
  perGpuChoices?: number[]
  maxGpus?: number
  burst?: number
  requests?: number
  seed?: number
}): { gpus: number; perGpu: number; result: SimResult } | null

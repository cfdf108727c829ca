import { describe, expect, it } from 'vitest'
import { type Model, simulate, solve } from '../../bench/capacity/sim.mjs'

// A model shaped like the fitted one (bench/results/capacity.json), fixed here so the test does not depend on a refit.
const model: Model = {
  baseMs: 76,
  perImageMs: 35,
  maxBatch: 8,
  cv: 0.11,
  sharing: { 1: 1, 2: 1.3, 3: 1.75 },
  overheadMs: 16,
}

describe('bench/capacity/sim.mjs', () => {
  it('matches M/M/1 with batch size 1 and exponential service', () => {
    const mm1: Model = {
      baseMs: 0,
      perImageMs: 100,
      maxBatch: 1,
      cv: 0,
      dist: 'exponential',
      sharing: { 1: 1 },
      overheadMs: 0,
    }
    // λ = 6/s, μ = 10/s: ρ = 0.6, mean wait in queue ρ / (μ − λ) = 150 ms
    const result = simulate({ model: mm1, gpus: 1, perGpu: 1, rate: 6, requests: 300_000, seed: 3 })
    expect(result.wait_ms.mean).toBeGreaterThan(150 * 0.96)
    expect(result.wait_ms.mean).toBeLessThan(150 * 1.04)
    expect(result.utilisation).toBeCloseTo(0.6, 1)
  })

  it('is never worse with more GPUs', () => {
    let previous = Number.POSITIVE_INFINITY
    for (let gpus = 3; gpus <= 8; gpus++) {
      const { latency_ms, throughput } = simulate({ model, gpus, perGpu: 1, rate: 50, seed: 5 })
      expect(throughput).toBeGreaterThan(49)
      expect(latency_ms.p99).toBeLessThanOrEqual(previous)
      previous = latency_ms.p99
    }
  })

  it('finds a size whose p99 holds when re-simulated with other seeds, and one GPU fewer misses it', () => {
    const answer = solve({ model, rate: 100, p99Ms: 600, seed: 1 })
    expect(answer).not.toBeNull()
    if (answer === null) return
    expect(answer.result.latency_ms.p99).toBeLessThanOrEqual(600)
    for (const seed of [2, 3, 4]) {
      const again = simulate({ model, gpus: answer.gpus, perGpu: answer.perGpu, rate: 100, seed })
      expect(again.latency_ms.p99).toBeLessThanOrEqual(600 * 1.1)
    }
    for (const perGpu of [1, 2, 3]) {
      const fewer = simulate({ model, gpus: answer.gpus - 1, perGpu, rate: 100, seed: 1 })
      expect(fewer.latency_ms.p99 > 600 || fewer.throughput < 98).toBe(true)
    }
  })

  it('gives the same output for the same seed, and another for another seed', () => {
    const options = { model, gpus: 2, perGpu: 2, rate: 30, burst: 3, requests: 5000 }
    expect(simulate({ ...options, seed: 9 })).toEqual(simulate({ ...options, seed: 9 }))
    expect(simulate({ ...options, seed: 9 })).not.toEqual(simulate({ ...options, seed: 10 }))
  })

  it('serves a closed loop: one client at a time gets batches of 1', () => {
    const result = simulate({ model, gpus: 1, perGpu: 1, clients: 1, requests: 500, seed: 1 })
    expect(result.mean_batch).toBe(1)
    expect(result.throughput).toBeCloseTo(1000 / (76 + 35 + 16), 0)
  })
})

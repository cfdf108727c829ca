import { roundRobinFetch, startTopology } from '../scale/topology.js'
import { groupSettings } from './server-target.js'
import type { ContractTarget, TargetOptions } from './target.js'

/** Worker settings that make a contract group's {@link TargetOptions} true of the synthetic backend. */
const workerEnv = (options: TargetOptions): Record<string, string> => {
  // 150 ms per sampling step: a 1024² 4-step generation takes at least 0.6 s.
  if (options.jobTimeoutMs === undefined) return { SYNTHETIC_STEP_MS: options.slow ? '150' : '0' }
  // JOB_TIMEOUT_MS starts at 1 s: steps of 400 ms make the slow generation (≥ 2 s) run past it all the same.
  const timeoutMs = Math.max(1000, options.jobTimeoutMs)
  return { JOB_TIMEOUT_MS: String(timeoutMs), SYNTHETIC_STEP_MS: String(Math.ceil(timeoutMs / 2.5)) }
}

/**
 * The built server as 2 API nodes + 2 workers on one real Redis and one shared `FILES_DIR`, every process separate;
 * each request goes to the next API node in turn, whichever node's URL it names.
 */
export function redisTopologyTarget(name: string): ContractTarget {
  return {
    name,
    async start(options) {
      const env = groupSettings(options)
      const topology = await startTopology({ apiNodes: 2, workers: 2, env, workerEnv: workerEnv(options) })
      await topology.ready()
      const urls = topology.apis.map((node) => node.url)
      return { baseUrl: urls[0]!, fetch: roundRobinFetch(urls), close: () => topology.close() }
    },
  }
}

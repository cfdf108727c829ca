import { freePortRange } from '../ports.js'
import { roundRobinFetch, startTopology } from '../scale/topology.js'
import { fakeComfyDir, groupSettings } from './server-target.js'
import { defineContractSuite } from './suite.js'
import type { ContractTarget } from './target.js'

/** Resolves once the worker answers `/ready` with 200 (its pool started), so every test sees both workers. */
async function workerReady(url: string): Promise<void> {
  const deadline = Date.now() + 60_000
  while (
    (await fetch(`${url}/ready`).then(
      (r) => r.status,
      () => 0,
    )) !== 200
  ) {
    if (Date.now() > deadline) throw new Error(`worker ${url}/ready never answered 200`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/**
 * The built server as 1 API node + 2 workers on one real Redis, each worker supervising a pool of two fake ComfyUI
 * processes (GPUS=0,1): the batching ComfyUI bridge decides how many jobs a worker takes.
 */
const target: ContractTarget = {
  name: '1 API node + 2 workers on Redis, each with a pool of two fake ComfyUI processes (built server)',
  async start(options) {
    const env = groupSettings(options)
    // JOB_TIMEOUT_MS starts at 1 s: steps of 400 ms make the slow generation (≥ 2 s) run past it all the same.
    const timeoutMs = options.jobTimeoutMs === undefined ? undefined : Math.max(1000, options.jobTimeoutMs)
    // 150 ms per sampling step: a 1024² 4-step generation takes at least 0.6 s.
    const stepMs = timeoutMs === undefined ? (options.slow ? 150 : 0) : Math.ceil(timeoutMs / 2.5)
    const comfy = await fakeComfyDir()
    const workerEnv: Record<string, string> = {
      GPUS: '0,1',
      COMFYUI_DIR: comfy.dir,
      COMFYUI_PYTHON: 'sh',
      LAZY_IMPORTS: 'false', // main.py is the fake's shell script: no Python launcher
      SKIP_WEIGHTS_DOWNLOAD: 'true',
      COMFYUI_ARGS: `--step-ms ${stepMs}`,
      ...(timeoutMs === undefined ? {} : { JOB_TIMEOUT_MS: String(timeoutMs) }),
    }
    const topology = await startTopology({ apiNodes: 1, workers: 0, env, workerEnv }).catch(async (error) => {
      await comfy.remove()
      throw error
    })
    try {
      for (let index = 0; index < 2; index += 1)
        await topology.add('worker', { COMFYUI_PORT: String(await freePortRange(2)) })
      await topology.ready()
      await Promise.all(topology.workers.map((worker) => workerReady(worker.url)))
    } catch (error) {
      await topology.close()
      await comfy.remove()
      throw error
    }
    const urls = topology.apis.map((node) => node.url)
    return {
      baseUrl: urls[0]!,
      fetch: roundRobinFetch(urls),
      async close() {
        await topology.close()
        await comfy.remove()
      },
    }
  },
}

defineContractSuite(target)

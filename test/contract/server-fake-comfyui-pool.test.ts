import { freePortRange } from '../ports.js'
import { groupSettings, startServer } from './server-target.js'
import { defineContractSuite } from './suite.js'
import type { ContractTarget } from './target.js'

/** The server with a pool of two supervised fake ComfyUI processes (GPUS=0,1), configured per contract group. */
const poolTarget: ContractTarget = {
  name: 'genimage server supervising a pool of two fake ComfyUI processes (GPUS=0,1)',
  async start(options) {
    const env: Record<string, string> = {
      GPUS: '0,1',
      COMFYUI_PORT: String(await freePortRange(2)),
      // 150 ms per sampling step: a 1024² 4-step generation takes at least 0.6 s.
      COMFYUI_ARGS: `--step-ms ${options.slow ? 150 : 0}`,
    }
    Object.assign(env, groupSettings(options))
    const override = options.jobTimeoutMs !== undefined ? { jobTimeoutMs: options.jobTimeoutMs } : undefined
    const started = await startServer({ backend: 'fake-comfyui', env, ...(override ? { override } : {}) })
    return { baseUrl: started.url, fetch: globalThis.fetch, close: () => started.close() }
  },
}

defineContractSuite(poolTarget)

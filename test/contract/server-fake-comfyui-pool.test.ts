import { createServer } from 'node:net'
import { freePort, groupSettings, startServer } from './server-target.js'
import { defineContractSuite } from './suite.js'
import type { ContractTarget } from './target.js'

const isFree = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(false))
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)))
  })

/** A base port whose successor was free too: the pool's two instances listen on COMFYUI_PORT and COMFYUI_PORT + 1. */
async function twoFreePorts(): Promise<number> {
  for (;;) {
    const base = await freePort()
    if (base < 65_535 && (await isFree(base + 1))) return base
  }
}

/** The server with a pool of two supervised fake ComfyUI processes (GPUS=0,1), configured per contract group. */
const poolTarget: ContractTarget = {
  name: 'genimage server supervising a pool of two fake ComfyUI processes (GPUS=0,1)',
  async start(options) {
    const env: Record<string, string> = {
      GPUS: '0,1',
      COMFYUI_PORT: String(await twoFreePorts()),
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

/**
 * Runs the unchanged contract suite (`test/contract/suite.ts`) against genimage on real ComfyUI. Groups with default
 * options run against `--genimage-url`: a genimage server as operators run it, supervising ComfyUI (`COMFYUI_DIR`,
 * our custom nodes installed, default path). Groups that need other settings (queue size, job timeout, API keys)
 * get a genimage server of their own in this process, attached to that server's ComfyUI (`COMFYUI_URL`). Without
 * `--genimage-url` every group gets an attached server. Bundled by `build.mjs` with `vitest` → `vitest-shim.ts` and
 * `sharp` → `sharp-shim.ts`.
 *
 *   node contract.mjs [--genimage-url http://127.0.0.1:8787] --comfyui-url http://127.0.0.1:8188
 *                     [--out results.json] [--workflow DIR]
 * @module
 */
import { writeFileSync } from 'node:fs'
import { createGenimageServer, createLogger, loadConfig } from '../../../packages/server/src/index.js'
import { defineContractSuite } from '../../../test/contract/suite.js'
import type { ContractTarget, TargetOptions } from '../../../test/contract/target.js'
import { runRegistered, type TestResult } from './vitest-shim.js'

const argv = process.argv.slice(2)
const arg = (name: string) => {
  const index = argv.indexOf(name)
  return index >= 0 ? argv[index + 1] : undefined
}
const comfyuiUrl = arg('--comfyui-url') ?? process.env.COMFYUI_URL ?? 'http://127.0.0.1:8188'
const out = arg('--out')
const workflow = arg('--workflow') ?? process.env.WORKFLOW
const genimageUrl = arg('--genimage-url')

const target: ContractTarget = {
  name: genimageUrl
    ? `genimage at ${genimageUrl} supervising real ComfyUI (other settings: attached to ${comfyuiUrl})`
    : `genimage server + real ComfyUI at ${comfyuiUrl}`,
  async start(options: TargetOptions) {
    if (genimageUrl && Object.keys(options).length === 0) {
      return { baseUrl: genimageUrl, fetch: globalThis.fetch, close: async () => {} }
    }
    const request = loadConfig([], {
      COMFYUI_URL: comfyuiUrl,
      HOST: '127.0.0.1',
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
      ...(workflow ? { WORKFLOW: workflow } : {}),
      ...(options.maxQueueSize !== undefined ? { MAX_QUEUE: String(options.maxQueueSize) } : {}),
      ...(options.apiKeys ? { API_KEYS: options.apiKeys.join(',') } : {}),
      ...(options.webhooks
        ? {
            WEBHOOK_SECRETS: options.webhooks.secret,
            WEBHOOK_ALLOWED_HOSTS: options.webhooks.allowedHosts.join(','),
          }
        : {}),
    })
    if (request.action !== 'run') throw new Error(`unexpected config action ${request.action}`)
    // PORT 0 (any free port) and JOB_TIMEOUT_MS below the CLI minimum of 1000 are only reachable in code.
    const config = {
      ...request.config,
      port: 0,
      shutdownGraceMs: 2000,
      ...(options.jobTimeoutMs !== undefined ? { jobTimeoutMs: options.jobTimeoutMs } : {}),
    }
    // `slow`: real SDXL at 1024² with 4 steps already takes well over 0.5 s, so nothing needs slowing down.
    const server = createGenimageServer(config, createLogger(config.logLevel))
    const baseUrl = await server.listen()
    await server.ready
    return { baseUrl, fetch: globalThis.fetch, close: () => server.close() }
  },
}

defineContractSuite(target)
const started = performance.now()
const results: TestResult[] = await runRegistered((result) => {
  const mark = result.status === 'passed' ? 'PASS' : 'FAIL'
  console.log(
    `${mark} ${result.name} (${result.ms} ms)${result.error ? `\n     ${result.error.split('\n').join('\n     ')}` : ''}`,
  )
})
const passed = results.filter((r) => r.status === 'passed').length
const failed = results.filter((r) => r.status === 'failed').length
const report = { target: target.name, passed, failed, ms: Math.round(performance.now() - started), results }
console.log(`${passed} passed, ${failed} failed`)
if (out) writeFileSync(out, `${JSON.stringify(report, null, 1)}\n`)
process.exit(failed > 0 ? 1 : 0)

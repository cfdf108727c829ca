/**
 * The ComfyUI {@link Backend}: fills the workflow from the request, runs it through the {@link ComfyClient}, maps
 * progress and failures, and keeps ComfyUI's own queue 1–2 deep (`concurrency: 2`). Hooks for the supervisor
 * (`markRestarting`, `markRestarted`, `onUnhealthy`) keep jobs alive across ComfyUI restarts.
 * @module
 */
import {
  type Backend,
  BackendError,
  type BackendImage,
  type BackendJob,
  type BackendState,
  type ImageContentType,
  type OutputFormat,
  type ResolvedGenerateRequest,
} from '@genimage/core'
import { checkWorkflow } from './bindings-check.js'
import { ComfyClient, type ComfyClientOptions } from './client.js'
import { toBackendError } from './errors.js'
import { imageInfo } from './image-info.js'
import { type ComfyLogger, silentLogger } from './logger.js'
import { buildGraph, defaultWorkflowDir, readWorkflowFiles, type Workflow } from './workflow.js'

/** Options of {@link createComfyBackend}. */
export interface ComfyBackendOptions extends ComfyClientOptions {
  /** Folder with `workflow.json` and `bindings.json`. @default the shipped `workflows/sdxl-turbo` */
  workflowDir?: string
  /** Request generated before `ready` so the first real job does not pay the model load; `false` skips it. */
  warmup?: Partial<ResolvedGenerateRequest> | false
  /** How long `start()` waits for ComfyUI to answer `GET /system_stats`. @default 300000 */
  startTimeoutMs?: number
  /** Logger. @default silent */
  logger?: ComfyLogger
}

/** The ComfyUI backend, with the hooks its supervisor uses. */
export interface ComfyBackend extends Backend {
  readonly name: 'comfyui'
  readonly concurrency: 2
  /** Waits for ComfyUI, checks the workflow against `/object_info`, connects, warms up; then `ready`. */
  start(): Promise<void>
  /** Rejects in-flight jobs and closes the connection. */
  close(): Promise<void>
  /** The bridge (HTTP + WebSocket) to ComfyUI. */
  readonly client: ComfyClient
  /** The checked workflow, once started. */
  workflow(): Workflow | undefined
  /** Called when ComfyUI looks stuck or gone (the supervisor should restart it). Returns an unsubscribe function. */
  onUnhealthy(listener: (reason: string) => void): () => void
  /** The supervisor is restarting ComfyUI: report `restarting` and keep in-flight jobs waiting. */
  markRestarting(reason?: string): void
  /** ComfyUI is back: reconnect, resubmit in-flight jobs (their `run()` promises still resolve), warm up, `ready`. */
  markRestarted(): Promise<void>
}

const CONTENT_TYPES: Record<OutputFormat, ImageContentType> = {
  png: 'image/png',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
}

/** The warm-up request: small, one step, fixed seed. */
export const DEFAULT_WARMUP: ResolvedGenerateRequest = {
  prompt: 'warm-up',
  negative_prompt: '',
  width: 512,
  height: 512,
  num_inference_steps: 1,
  seed: 0,
  output_format: 'png',
  sync_mode: false,
}

/**
 * Creates the ComfyUI backend; `start()` waits for ComfyUI, checks the workflow against `/object_info`, opens the
 * WebSocket and runs the warm-up.
 * @example
 * const backend = createComfyBackend({ baseUrl: 'http://127.0.0.1:8188', logger })
 * await backend.start()
 * const image = await backend.run(job)
 */
export function createComfyBackend(options: ComfyBackendOptions): ComfyBackend {
  const logger = options.logger ?? silentLogger
  const client = new ComfyClient({ ...options, logger })
  let state: BackendState = 'starting'
  let workflow: Workflow | undefined
  let warmed = false
  let closed = false

  client.onConnectionChange((connected) => {
    if (closed || !warmed) return
    if (!connected && state === 'ready') state = 'restarting'
    else if (connected && state === 'restarting') state = 'ready'
  })

  async function waitForComfy(): Promise<void> {
    const timeoutMs = options.startTimeoutMs ?? 300_000
    const deadline = Date.now() + timeoutMs
    let delay = 100
    let last = ''
    while (!closed) {
      try {
        const stats = await client.http.getSystemStats()
        logger.info(`comfyui: ComfyUI ${String(stats.system['comfyui_version'] ?? '?')} is answering`)
        return
      } catch (error) {
        last = (error as Error).message
      }
      if (Date.now() + delay > deadline) break
      await new Promise((resolve) => setTimeout(resolve, delay))
      delay = Math.min(delay * 2, 2000)
    }
    throw new BackendError('unavailable', `ComfyUI did not answer within ${timeoutMs} ms (${last})`)
  }

  async function warmUp(): Promise<void> {
    if (options.warmup === false || !workflow) return
    const input = { ...DEFAULT_WARMUP, ...options.warmup }
    const started = Date.now()
    await client.run(buildGraph(workflow, input), { outputNode: workflow.outputNode })
    logger.info(`comfyui: warm-up generation took ${Date.now() - started} ms`)
  }

  const backend: ComfyBackend = {
    name: 'comfyui',
    concurrency: 2,
    client,
    state: () => state,
    workflow: () => workflow,
    onUnhealthy: (listener) => client.onUnhealthy(listener),

    async start() {
      state = 'starting'
      try {
        await waitForComfy()
        const files = await readWorkflowFiles(options.workflowDir ?? defaultWorkflowDir())
        workflow = await checkWorkflow(files, (name) => client.http.getNodeInfo(name))
        logger.info(`comfyui: workflow ${workflow.name} checked (output node ${workflow.outputNode})`)
        await client.connect()
        state = 'warming_up'
        await warmUp()
        warmed = true
        state = client.connected ? 'ready' : 'restarting'
      } catch (error) {
        state = 'stopped'
        await client.close()
        throw error
      }
    },

    async run(job: BackendJob): Promise<BackendImage> {
      if (!workflow) throw new BackendError('unavailable', 'the ComfyUI backend is not started')
      const input = job.input
      if (!workflow.formats.includes(input.output_format)) {
        throw new BackendError(
          'invalid_input',
          `workflow ${workflow.name} produces ${workflow.formats.join(', ')}, not ${input.output_format}`,
        )
      }
      try {
        const result = await client.run(buildGraph(workflow, input), {
          outputNode: workflow.outputNode,
          signal: job.signal,
          onProgress: (value, max) => job.reportProgress(value, max),
          onLog: (message, level) => job.log(message, level),
        })
        const info = imageInfo(result.bytes)
        const contentType = info?.contentType ?? result.contentType
        const expected = CONTENT_TYPES[input.output_format]
        if (contentType !== expected) {
          throw new BackendError(
            'execution_failed',
            `ComfyUI returned ${contentType} for a ${input.output_format} request`,
          )
        }
        const meta = result.metadata ?? {}
        const encodeMs = typeof meta['encode_ms'] === 'number' ? meta['encode_ms'] : 0
        return {
          bytes: result.bytes,
          contentType: expected,
          width: info?.width ?? input.width,
          height: info?.height ?? input.height,
          inferenceMs: Math.max(0, result.executionMs - encodeMs),
          encodeMs,
        }
      } catch (error) {
        if (job.signal.aborted) throw job.signal.reason
        throw toBackendError(error)
      }
    },

    markRestarting(reason) {
      if (closed) return
      logger.warn(`comfyui: ComfyUI restarting${reason ? `: ${reason}` : ''}`)
      state = 'restarting'
      client.markRestarting()
    },

    async markRestarted() {
      if (closed) return
      state = 'restarting'
      await client.markRestarted()
      state = 'warming_up'
      try {
        await warmUp()
      } catch (error) {
        logger.warn(`comfyui: warm-up after restart failed: ${(error as Error).message}`)
      }
      if (!closed) state = client.connected ? 'ready' : 'restarting'
    },

    async close() {
      closed = true
      state = 'stopped'
      await client.close()
    },
  }
  return backend
}

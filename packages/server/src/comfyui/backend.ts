/**
 * The ComfyUI {@link Backend}: fills the workflow from the request, runs it through the {@link ComfyClient}, maps
 * progress and failures, batches waiting requests of the same size, steps and format into one prompt
 * ({@link Batcher}, up to `maxBatch` images; the `num_images` images of one request are entries of one prompt) and
 * keeps ComfyUI's own queue 1–2 prompts deep. Image-to-image requests run the image-to-image workflow (the input
 * picture travels base64 in the prompt, decoded by GenimageLoadImage). The default workflow runs
 * with CUDA graphs and the fast encoders; `fastPath: false` runs its plain path ({@link plainPath}). Warm-up: the
 * first of `warmSizes` before `ready` without graph captures, the other sizes and batch sizes (the captures) right
 * after; until then requests never wait for a capture (`eagerWindowMs`, ADR 21). Hooks for the
 * supervisor (`markRestarting`, `markRestarted`, `onUnhealthy`) keep jobs alive across ComfyUI restarts.
 * @module
 */
import {
  type Backend,
  BackendError,
  type BackendImage,
  type BackendJob,
  type BackendResult,
  type BackendState,
  type ImageContentType,
  type OutputFormat,
  type ResolvedGenerateRequest,
} from '@genimage/core'
import { type BatchEntry, Batcher, type GroupControl } from './batcher.js'
import { checkWorkflow } from './bindings-check.js'
import { ComfyClient, type ComfyClientOptions } from './client.js'
import { toBackendError } from './errors.js'
import { imageInfo } from './image-info.js'
import { type ComfyLogger, silentLogger } from './logger.js'
import type { ComfyImage } from './prompt-run.js'
import {
  BATCH_CLASSES,
  type BatchPlan,
  batchPlan,
  buildBatchGraph,
  buildGraph,
  defaultWorkflowDir,
  plainPath,
  readWorkflowFiles,
  type Workflow,
} from './workflow.js'

/** Options of {@link createComfyBackend}. */
export interface ComfyBackendOptions extends ComfyClientOptions {
  /** Folder with `workflow.json` and `bindings.json`. @default the shipped `workflows/sdxl-turbo` */
  workflowDir?: string
  /**
   * Folder of the image-to-image workflow (requests with `image_url`; binds `image` and `strength` too); `false`:
   * image-to-image requests are refused (422). @default the shipped `workflows/sdxl-turbo-img2img`
   */
  imageToImageWorkflowDir?: string | false
  /** Request generated before `ready` so the first real job does not pay the model load; `false` skips it. */
  warmup?: Partial<ResolvedGenerateRequest> | false
  /** How long `start()` waits for ComfyUI to answer `GET /system_stats`. @default 300000 */
  startTimeoutMs?: number
  /** Logger. @default silent */
  logger?: ComfyLogger
  /** Run the workflow with its speed-ups (CUDA graphs, fast encoders); `false`: its plain path. @default true */
  fastPath?: boolean
  /** Images of one size, steps and format that run as one prompt at most (1: no batching). @default 8 */
  maxBatch?: number
  /**
   * Sizes warmed up (CUDA graphs captured): the first before `ready`, the rest, and every batch size bucket, right
   * after. @default 512², 768², 1024²
   */
  warmSizes?: readonly WarmSize[]
  /**
   * How long no job may have started or ended before a warm-up prompt after `ready` starts: a request sent as soon
   * as `ready` shows, or one of a steady trickle, runs first instead of waiting behind a graph capture. @default 500
   */
  warmIdleMs?: number
  /**
   * For how long after `ready` requests never wait for a CUDA graph capture: a prompt asks ComfyUI for replays only
   * (capture_policy.py), so a shape the warm-up after `ready` has not captured yet runs eager (the same pixels) instead
   * of capturing first. The window closes early when that warm-up is over; after it a new shape captures on first use.
   * 0: requests capture from `ready` on. @default 3000
   */
  eagerWindowMs?: number
}

/** A size to warm up. */
export interface WarmSize {
  width: number
  height: number
}

/** The default {@link ComfyBackendOptions.warmSizes}. */
export const DEFAULT_WARM_SIZES: readonly WarmSize[] = [
  { width: 512, height: 512 },
  { width: 768, height: 768 },
  { width: 1024, height: 1024 },
]

/** The ComfyUI backend, with the hooks its supervisor uses. */
export interface ComfyBackend extends Backend {
  readonly name: 'comfyui'
  /** Jobs the queue may hand over now: those held plus room for one batch while a prompt slot is free. */
  readonly concurrency: number
  /** Calls `listener` when a prompt reaches its output node (room for the next batch); returns the remover. */
  onCapacity(listener: () => void): () => void
  /** Waits for ComfyUI, checks the workflow against `/object_info`, connects, warms up; then `ready`. */
  start(): Promise<void>
  /** Rejects in-flight jobs and closes the connection. */
  close(): Promise<void>
  /** The bridge (HTTP + WebSocket) to ComfyUI. */
  readonly client: ComfyClient
  /** The checked workflow, once started. */
  workflow(): Workflow | undefined
  /** Resolves when the warm-up after `ready` (other sizes, batch sizes) is over. */
  warmedUp(): Promise<void>
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

/** `extra_data` of a prompt that replays the CUDA graphs it finds and captures none (capture_policy.py). */
const REPLAY_ONLY = { genimage_graphs: 'replay' } as const

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
  num_images: 1,
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
  const maxBatch = Math.max(1, options.maxBatch ?? 8)
  const warmSizes = options.warmSizes?.length ? options.warmSizes : DEFAULT_WARM_SIZES
  let state: BackendState = 'starting'
  let workflow: Workflow | undefined
  let plan: BatchPlan | undefined
  /** The checked image-to-image workflow and its batching, or why there is none. */
  let imageToImage: { workflow: Workflow; plan: BatchPlan | undefined } | string = 'the backend is not started'
  let warmed = false
  let closed = false
  let background: Promise<void> = Promise.resolve()
  /** When a job last started or ended: warm-up prompts after `ready` wait for `warmIdleMs` of quiet. */
  let lastJobAt = 0
  const warmIdleMs = Math.max(0, options.warmIdleMs ?? 500)
  const eagerWindowMs = Math.max(0, options.eagerWindowMs ?? 3000)
  /** Until when requests ask for replays only (the eager window after `ready`). */
  let replayOnlyUntil = 0
  const planOf = (loaded: typeof imageToImage): BatchPlan | undefined =>
    typeof loaded === 'string' ? undefined : loaded.plan
  const batcher = new Batcher({
    // Until the workflow is checked (and when it cannot batch) every prompt holds one image.
    maxBatch: (job) => ((job?.input.image ? planOf(imageToImage) : plan) ? maxBatch : 1),
    // Extra inputs (a custom workflow's cfg…) are one value per prompt: only equal ones share a prompt.
    // Image-to-image: only images of the same input picture and strength share a prompt (one picture per graph).
    key: ({ input }) =>
      `${input.width}x${input.height}/${input.num_inference_steps}/${input.output_format}/${JSON.stringify(input.extra ?? {})}/${input.image ? `${input.image.key}@${input.strength}` : ''}`,
    run: (entries, control) => runGroup(entries, control),
  })

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

  /** Batching needs our batch nodes in ComfyUI and a workflow shaped for it; else every prompt has one request. */
  async function planBatching(checked: Workflow): Promise<BatchPlan | undefined> {
    if (maxBatch === 1) return undefined
    const found = batchPlan(checked)
    if (typeof found === 'string') {
      logger.info(`comfyui: requests run one per prompt: ${found}`)
      return undefined
    }
    const missing = []
    for (const name of BATCH_CLASSES) if (!(await client.http.getNodeInfo(name))) missing.push(name)
    if (missing.length > 0) {
      logger.warn(`comfyui: requests run one per prompt: ComfyUI lacks ${missing.join(', ')}`)
      return undefined
    }
    return found
  }

  function warmInputs(size: WarmSize, count: number): ResolvedGenerateRequest[] {
    const base = { ...DEFAULT_WARMUP, ...(options.warmup || {}), ...size }
    return Array.from({ length: count }, (_, i) => ({
      ...base,
      prompt: i === 0 ? base.prompt : `${base.prompt} ${i}`,
      seed: base.seed + i,
    }))
  }

  /**
   * The first warm size, one request: loads the models and runs them once, eager (the captures, ≈ 1 s at 512², come
   * after `ready`).
   */
  async function warmUp(): Promise<void> {
    if (options.warmup === false || !workflow) return
    const first = warmSizes[0]!
    const input = options.warmup ? { ...DEFAULT_WARMUP, ...options.warmup } : warmInputs(first, 1)[0]!
    const started = Date.now()
    await client.run(buildGraph(workflow, input), { outputNode: workflow.outputNode, extraData: REPLAY_ONLY })
    logger.info(`comfyui: warm-up generation took ${Date.now() - started} ms`)
  }

  /** After `ready`: each warm size at the batch sizes graphs are captured for (1, 2, 4, 8, …). */
  async function warmUpRest(): Promise<void> {
    if (options.warmup === false || !workflow) return
    const started = Date.now()
    let prompts = 0
    for (const size of warmSizes) {
      const counts = [1]
      if (plan) for (let n = 2; n <= maxBatch; n *= 2) counts.push(n)
      for (const count of counts) {
        // Requests first: a warm-up prompt starts only after `warmIdleMs` with no job of ours waiting or running.
        await quiet()
        if (closed) continue
        const inputs = warmInputs(size, count)
        const graph = count === 1 ? buildGraph(workflow, inputs[0]!) : buildBatchGraph(workflow, plan!, inputs)
        await client.run(graph, { outputNode: workflow.outputNode, images: count })
        prompts += 1
      }
    }
    logger.info(`comfyui: warm-up after ready took ${Date.now() - started} ms (${prompts} prompts)`)
  }

  /** Resolves once no job is held and none started or ended for `warmIdleMs` (or the backend closed). */
  async function quiet(): Promise<void> {
    for (;;) {
      if (closed) return
      const wait = batcher.size > 0 ? warmIdleMs || 20 : lastJobAt + warmIdleMs - Date.now()
      if (wait <= 0) return
      await new Promise((resolve) => setTimeout(resolve, wait).unref())
    }
  }

  function startBackgroundWarmUp(): void {
    lastJobAt = Date.now()
    const until = Date.now() + eagerWindowMs
    replayOnlyUntil = until
    background = warmUpRest()
      .catch((error: Error) => logger.warn(`comfyui: warm-up after ready failed: ${error.message}`))
      .finally(() => {
        // A restart's warm-up opens a window of its own: only this warm-up's window closes here.
        if (replayOnlyUntil === until) replayOnlyUntil = 0
      })
  }

  function toImage(image: ComfyImage, input: ResolvedGenerateRequest, executionMs: number): BackendImage {
    const info = imageInfo(image.bytes)
    const contentType = info?.contentType ?? image.contentType
    const expected = CONTENT_TYPES[input.output_format]
    if (contentType !== expected) {
      throw new BackendError('execution_failed', `ComfyUI returned ${contentType} for a ${input.output_format} request`)
    }
    const meta = image.metadata ?? {}
    const encodeMs = typeof meta['encode_ms'] === 'number' ? meta['encode_ms'] : 0
    return {
      bytes: image.bytes,
      contentType: expected,
      width: info?.width ?? input.width,
      height: info?.height ?? input.height,
      inferenceMs: Math.max(0, executionMs - encodeMs),
      encodeMs,
    }
  }

  /** The image-to-image workflow when there is one, else a 422 saying why. */
  function imageToImageWorkflow(): { workflow: Workflow; plan: BatchPlan | undefined } {
    if (typeof imageToImage !== 'string') return imageToImage
    throw new BackendError('invalid_input', `image-to-image is not available on this server: ${imageToImage}`)
  }

  /** Checks the image-to-image workflow; a server without one still serves text-to-image. */
  async function loadImageToImage(fast: boolean): Promise<void> {
    if (options.imageToImageWorkflowDir === false) {
      imageToImage = 'it is turned off (IMG2IMG_WORKFLOW)'
      return
    }
    try {
      const files = await readWorkflowFiles(options.imageToImageWorkflowDir ?? defaultWorkflowDir('sdxl-turbo-img2img'))
      const checked = await checkWorkflow(fast ? files : plainPath(files), (name) => client.http.getNodeInfo(name))
      const unbound = (['image', 'strength'] as const).filter((field) => !checked.bindings[field])
      if (unbound.length > 0) throw new Error(`bindings.json of ${checked.name} does not bind ${unbound.join(', ')}`)
      imageToImage = { workflow: checked, plan: await planBatching(checked) }
      logger.info(`comfyui: image-to-image workflow ${checked.name} checked`)
    } catch (error) {
      imageToImage = `its workflow does not fit this ComfyUI (${(error as Error).message.split('\n').join('; ')})`
      logger.warn(`comfyui: image-to-image requests will be refused: ${imageToImage}`)
    }
  }

  /** One prompt for `entries` (the workflow as is for one image, the batched graph for several). */
  async function runGroup(entries: readonly BatchEntry[], control: GroupControl): Promise<BackendImage[]> {
    if (!workflow) throw new BackendError('unavailable', 'the ComfyUI backend is not started')
    const first = entries[0]!
    const { workflow: current, plan: currentPlan } = first.input.image ? imageToImageWorkflow() : { workflow, plan }
    const inputs = entries.map((entry) => entry.input)
    const picture = first.job.inputImage ? Buffer.from(first.job.inputImage.bytes).toString('base64') : undefined
    const graph =
      entries.length === 1
        ? buildGraph(current, inputs[0]!, picture)
        : buildBatchGraph(current, currentPlan!, inputs, picture)
    const jobs = new Set(entries.map((entry) => entry.job))
    if (entries.length > 1) {
      for (const job of jobs)
        job.log(`runs in one ComfyUI prompt of ${entries.length} images (${jobs.size} requests)`, 'DEBUG')
    }
    try {
      const result = await client.run(graph, {
        outputNode: current.outputNode,
        images: entries.length,
        ...(Date.now() < replayOnlyUntil ? { extraData: REPLAY_ONLY } : {}),
        signal: control.signal,
        onProgress: (value, max) => {
          for (const job of control.live()) job.reportProgress(value, max)
        },
        onLog: (message, level) => {
          for (const job of control.live()) job.log(message, level)
        },
        onNode: (nodeId) => {
          if (nodeId === current.outputNode) control.outputReached()
        },
      })
      return result.images.map((image, index) => toImage(image, inputs[index]!, result.executionMs))
    } catch (error) {
      if (control.signal.aborted) throw control.signal.reason
      throw toBackendError(error)
    }
  }

  const backend: ComfyBackend = {
    name: 'comfyui',
    get concurrency() {
      return batcher.concurrency
    },
    onCapacity: (listener) => batcher.onCapacity(listener),
    client,
    state: () => state,
    workflow: () => workflow,
    warmedUp: () => background,
    onUnhealthy: (listener) => client.onUnhealthy(listener),

    async start() {
      state = 'starting'
      try {
        await waitForComfy()
        const files = await readWorkflowFiles(options.workflowDir ?? defaultWorkflowDir())
        const fast = options.fastPath ?? true
        workflow = await checkWorkflow(fast ? files : plainPath(files), (name) => client.http.getNodeInfo(name))
        plan = await planBatching(workflow)
        await loadImageToImage(fast)
        logger.info(
          `comfyui: workflow ${workflow.name} checked (output node ${workflow.outputNode}; ${fast ? 'fast path' : 'plain path'}; batches of up to ${plan ? maxBatch : 1})`,
        )
        await client.connect()
        state = 'warming_up'
        await warmUp()
        warmed = true
        state = client.connected ? 'ready' : 'restarting'
        startBackgroundWarmUp()
      } catch (error) {
        state = 'stopped'
        await client.close()
        throw error
      }
    },

    async run(job: BackendJob): Promise<BackendResult> {
      if (!workflow) throw new BackendError('unavailable', 'the ComfyUI backend is not started')
      const input = job.input
      const current = input.image ? imageToImageWorkflow().workflow : workflow
      if (!current.formats.includes(input.output_format)) {
        throw new BackendError(
          'invalid_input',
          `workflow ${current.name} produces ${current.formats.join(', ')}, not ${input.output_format}`,
        )
      }
      if (input.image && !job.inputImage) {
        throw new BackendError('invalid_input', 'the input image of this image-to-image request was not handed over')
      }
      lastJobAt = Date.now()
      try {
        return { images: await batcher.run(job) }
      } finally {
        lastJobAt = Date.now()
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
      if (!closed) startBackgroundWarmUp()
    },

    async close() {
      closed = true
      state = 'stopped'
      await client.close()
    },
  }
  return backend
}

import { join } from 'node:path'
import { type Backend, createSyntheticBackend, type MetricsRegistry } from '@genimage/core'
import type { Logger } from 'pino'
import {
  COMFY_LAUNCHER,
  createComfyBackend,
  createComfyInstance,
  createComfyPool,
  type InstanceSlot,
  installComfyNodes,
  planInstances,
  visibleGpus,
} from './comfyui/index.js'
import { threadEnv } from './comfyui/pool/index.js'
import type { ServerConfig } from './config/index.js'
import { DEFAULT_MODELS, ensureWeights, writeExtraModelPaths } from './weights/index.js'

/** A backend plus what it takes to start and stop the processes behind it. */
export interface ConfiguredBackend {
  backend: Backend
  /** Human description for the first log line. */
  description: string
  /** Starts everything (weights, ComfyUI, warm-up); resolves when the backend is ready. */
  start(): Promise<void>
  /** Called when a job ran past its timeout: the backend may be hung. */
  onJobTimeout(jobId: string): void
  /** Stops the backend and any process it supervises. */
  stop(): Promise<void>
}

/**
 * Builds the backend the configuration asks for: synthetic when no ComfyUI is configured, ComfyUI at `COMFYUI_URL`
 * without supervision, or a pool of `GPUS × COMFYUI_PER_GPU` supervised ComfyUI instances started from `COMFYUI_DIR`
 * (weights ensured, our nodes installed).
 * @example const configured = createBackendFromConfig(config, logger, engineMetrics)
 */
export function createBackendFromConfig(
  config: ServerConfig,
  logger: Logger,
  metrics: MetricsRegistry,
): ConfiguredBackend {
  const workflowDir = config.workflow
  const comfyOptions = {
    workflowDir,
    ...(config.img2imgWorkflow ? { imageToImageWorkflowDir: config.img2imgWorkflow } : {}),
    fastPath: config.fastPath,
    maxBatch: config.maxBatch,
    warmSizes: config.warmSizes,
  }
  if (config.backend === 'synthetic') {
    const backend = createSyntheticBackend({ stepMs: config.syntheticStepMs, overheadMs: config.syntheticStepMs })
    return {
      backend,
      description: 'synthetic backend (no ComfyUI configured: set COMFYUI_DIR or COMFYUI_URL for real images)',
      start: async () => {},
      onJobTimeout: () => {},
      stop: async () => backend.close?.(),
    }
  }

  const comfyLogger = logger.child({ component: 'comfyui-bridge' })
  if (config.comfyuiUrl) {
    const backend = createComfyBackend({ ...comfyOptions, baseUrl: config.comfyuiUrl, logger: comfyLogger })
    return {
      backend,
      description: `ComfyUI at ${config.comfyuiUrl} (not supervised)`,
      start: () => backend.start(),
      onJobTimeout: () => {},
      stop: () => backend.close(),
    }
  }

  const comfyuiDir = config.comfyuiDir!
  const modelsDir = config.modelsDir ?? join(comfyuiDir, 'models')
  const extraModelPaths = join(modelsDir, 'extra_model_paths.genimage.yaml')
  const slots = planInstances({
    gpus: config.gpus ?? visibleGpus(),
    perGpu: config.comfyuiPerGpu,
    basePort: config.comfyuiPort,
    comfyuiDir,
  })
  // Each instance's CPU thread budget (COMFYUI_THREADS; automatic: cores ÷ instances), unless the operator set it.
  const threads = threadEnv({ instances: slots.length, threads: config.comfyuiThreads })
  const instances = slots.map((slot) =>
    createComfyInstance({
      index: slot.index,
      gpu: slot.gpu,
      env: threads,
      supervisor: {
        command: config.comfyuiPython,
        cwd: comfyuiDir,
        entry: config.lazyImports ? COMFY_LAUNCHER : 'main.py',
        port: slot.port,
        readinessTimeoutMs: config.comfyuiBootTimeoutMs,
        // The operator's COMFYUI_ARGS come last, so they win over ours.
        extraArgs: ['--extra-model-paths-config', extraModelPaths, ...slot.args, ...config.comfyuiArgs],
      },
      backend: comfyOptions,
      logger,
    }),
  )
  const pool = createComfyPool({ instances, metrics, logger: comfyLogger })
  return {
    backend: pool,
    description: `ComfyUI supervised from ${comfyuiDir}: ${describeSlots(slots)}${describeThreads(threads)}`,
    async start() {
      if (config.skipWeightsDownload) {
        await writeExtraModelPaths({ dir: modelsDir, file: extraModelPaths })
      } else {
        await ensureWeights({ dir: modelsDir, models: DEFAULT_MODELS, logger, extraModelPathsFile: extraModelPaths })
      }
      await installComfyNodes(comfyuiDir)
      await pool.start()
    },
    onJobTimeout(jobId) {
      logger.warn({ jobId }, 'generation timed out; restarting the ComfyUI instance that ran it, in case it hangs')
      pool.onJobTimeout(jobId)
    },
    stop: () => pool.close(),
  }
}

/** `, 8 CPU threads each` (the budget {@link threadEnv} set), or nothing when the operator's variables stand. */
function describeThreads(env: Readonly<Record<string, string>>): string {
  const threads = env['OMP_NUM_THREADS'] ?? env['MKL_NUM_THREADS']
  return threads === undefined ? '' : `, ${threads} CPU thread${threads === '1' ? '' : 's'} each`
}

/** `2 instances (GPU 0 ports 8188, 8190; GPU 1 port 8189)`, or `port 8188` for one. */
function describeSlots(slots: readonly InstanceSlot[]): string {
  if (slots.length === 1) {
    const [slot] = slots
    return `port ${slot!.port}${slot!.gpu !== undefined ? ` on GPU ${slot!.gpu}` : ''}`
  }
  const byGpu = new Map<string, number[]>()
  for (const slot of slots) byGpu.set(slot.gpu ?? 'any', [...(byGpu.get(slot.gpu ?? 'any') ?? []), slot.port])
  const parts = [...byGpu].map(([gpu, ports]) => `GPU ${gpu} port${ports.length > 1 ? 's' : ''} ${ports.join(', ')}`)
  return `a pool of ${slots.length} instances (${parts.join('; ')})`
}

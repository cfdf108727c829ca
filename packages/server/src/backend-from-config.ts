import { join } from 'node:path'
import { type Backend, createSyntheticBackend, type MetricsRegistry } from '@genimage/core'
import type { Logger } from 'pino'
import { createComfyBackend, installComfyNodes } from './comfyui/index.js'
import type { ServerConfig } from './config/index.js'
import { createComfySupervisor } from './supervisor/index.js'
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
 * without supervision, or a supervised ComfyUI started from `COMFYUI_DIR` (weights ensured, our nodes installed).
 * @example const configured = createBackendFromConfig(config, logger, engineMetrics)
 */
export function createBackendFromConfig(
  config: ServerConfig,
  logger: Logger,
  metrics: MetricsRegistry,
): ConfiguredBackend {
  const workflowDir = config.workflow
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
    const backend = createComfyBackend({ baseUrl: config.comfyuiUrl, workflowDir, logger: comfyLogger })
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
  const supervisor = createComfySupervisor({
    command: config.comfyuiPython,
    cwd: comfyuiDir,
    port: config.comfyuiPort,
    readinessTimeoutMs: config.comfyuiBootTimeoutMs,
    extraArgs: ['--extra-model-paths-config', extraModelPaths, ...config.comfyuiArgs],
    logger,
  })
  const backend = createComfyBackend({ baseUrl: supervisor.baseUrl, workflowDir, logger: comfyLogger })
  metrics.gauge(
    'genimage_comfyui_restarts_total',
    'Times ComfyUI was restarted by the supervisor.',
    () => supervisor.restarts,
  )
  // Fire and forget: a stop() during the restart rejects it, and the supervisor logs its own failures.
  const restartComfy = (reason: string): void => {
    supervisor.restart(reason).catch(() => {})
  }
  let started = false
  supervisor.on('restarting', ({ reason }) => {
    if (started) backend.markRestarting(reason)
  })
  supervisor.on('ready', () => {
    if (started) {
      backend
        .markRestarted()
        .catch((error: Error) => logger.error({ err: error }, 'ComfyUI came back but the bridge could not resume'))
    }
  })
  backend.onUnhealthy((reason) => {
    logger.warn({ reason }, 'ComfyUI looks unhealthy; restarting it')
    restartComfy(reason)
  })
  return {
    backend,
    description: `ComfyUI supervised from ${comfyuiDir} (port ${config.comfyuiPort})`,
    async start() {
      if (config.skipWeightsDownload) {
        await writeExtraModelPaths({ dir: modelsDir, file: extraModelPaths })
      } else {
        await ensureWeights({ dir: modelsDir, models: DEFAULT_MODELS, logger, extraModelPathsFile: extraModelPaths })
      }
      await installComfyNodes(comfyuiDir)
      await supervisor.start()
      await backend.start()
      started = true
    },
    onJobTimeout(jobId) {
      logger.warn({ jobId }, 'generation timed out; restarting ComfyUI in case it hangs')
      restartComfy(`job ${jobId} timed out`)
    },
    async stop() {
      await backend.close()
      await supervisor.stop()
    },
  }
}

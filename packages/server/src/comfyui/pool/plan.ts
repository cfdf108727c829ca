/**
 * Where the instances of a ComfyUI pool run: the `GPUS` option type, the GPUs this process can see (its default),
 * and the plan of `GPUS × COMFYUI_PER_GPU` instances, each with its GPU, port and own output and temp directories.
 * @module
 */
import { execFileSync } from 'node:child_process'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import type { OptionType } from '../../config/types.js'

/** A CUDA device as `CUDA_VISIBLE_DEVICES` names it: an index, a GPU UUID or a MIG device. */
const GPU_ID = /^(\d+|GPU-[0-9A-Za-z-]+|MIG-[0-9A-Za-z/-]+)$/

/**
 * The type of `GPUS`: comma-separated CUDA device indices or UUIDs, each at most once.
 * @example gpuList().parse('0,1', ctx) // ['0', '1']
 */
export function gpuList(): OptionType<string[]> {
  return {
    placeholder: '<0,1,…>',
    parse(raw) {
      const ids = raw.split(',').map((id) => id.trim())
      const bad = ids.find((id) => !GPU_ID.test(id))
      if (bad !== undefined) {
        throw new Error(
          `expected CUDA device indices or UUIDs separated by commas, e.g. 0,1 (not ${JSON.stringify(bad)})`,
        )
      }
      const twice = ids.find((id, index) => ids.indexOf(id) !== index)
      if (twice !== undefined) {
        throw new Error(`GPU ${twice} is listed twice (run several ComfyUI on one GPU with COMFYUI_PER_GPU)`)
      }
      return ids
    },
    format: (ids) => ids.join(','),
  }
}

/**
 * The GPUs this process can see: `CUDA_VISIBLE_DEVICES` when set (up to its first invalid entry, as CUDA reads it),
 * else the indices `nvidia-smi -L` lists, else none.
 * @default listGpus runs `nvidia-smi -L` (10 s at most) and gives `undefined` when it fails or is absent
 * @example visibleGpus({ CUDA_VISIBLE_DEVICES: '2,3' }) // ['2', '3']
 */
export function visibleGpus(
  env: Readonly<Record<string, string | undefined>> = process.env,
  listGpus: () => string | undefined = nvidiaSmiList,
): string[] {
  const visible = env['CUDA_VISIBLE_DEVICES']
  if (visible !== undefined) {
    const ids = visible.split(',').map((id) => id.trim())
    const firstInvalid = ids.findIndex((id) => !GPU_ID.test(id))
    return firstInvalid === -1 ? ids : ids.slice(0, firstInvalid)
  }
  const listing = listGpus()
  return listing ? [...listing.matchAll(/^GPU (\d+):/gm)].map((match) => match[1]!) : []
}

function nvidiaSmiList(): string | undefined {
  try {
    return execFileSync('nvidia-smi', ['-L'], {
      encoding: 'utf8',
      timeout: 10_000,
      stdio: ['ignore', 'pipe', 'ignore'],
    })
  } catch {
    return undefined
  }
}

/** One planned ComfyUI instance. */
export interface InstanceSlot {
  /** Position in the pool, from 0; the instance label in logs and metrics. */
  index: number
  /** The CUDA device given to it as `CUDA_VISIBLE_DEVICES`; `undefined` when no GPU is known (it inherits the env). */
  gpu: string | undefined
  /** Its port: the base port plus its index. */
  port: number
  /**
   * ComfyUI flags of this instance alone: with more than one instance, its own `--output-directory` and
   * `--temp-directory` (ComfyUI empties its temp directory at start and exit, and numbers saved files by scanning
   * the output directory, so instances must not share them). Empty for a single instance.
   */
  args: string[]
}

/** The variables that carry an instance's CPU thread budget. */
export const THREAD_VARIABLES = ['OMP_NUM_THREADS', 'MKL_NUM_THREADS'] as const

/**
 * CPU threads per ComfyUI instance: `threads` when positive (`COMFYUI_THREADS`), else the available CPU cores shared
 * out evenly, at least 1. With torch's default every instance starts a thread per core, and a pool of N instances
 * oversubscribes the CPU N times over (measured on 2 H200: 2 × 2 instances gave 14.0 images/s with the default,
 * 33.4 with 8 threads each).
 * @example threadsPerInstance({ instances: 4, cpus: 32 }) // 8
 * @example threadsPerInstance({ instances: 6, cpus: 32 }) // 5
 * @example threadsPerInstance({ instances: 4, threads: 2, cpus: 32 }) // 2
 */
export function threadsPerInstance(options: {
  instances: number
  threads?: number | undefined
  cpus?: number
}): number {
  if (options.threads !== undefined && options.threads > 0) return options.threads
  const cpus = options.cpus ?? availableParallelism()
  return Math.max(1, Math.floor(cpus / Math.max(1, options.instances)))
}

/** What {@link planInstances} needs. */
export interface PlanOptions {
  /** The GPUs (`GPUS`, or {@link visibleGpus}); empty: one slot with no GPU pinned. */
  gpus: readonly string[]
  /** Instances per GPU (`COMFYUI_PER_GPU`). */
  perGpu: number
  /** Port of instance 0 (`COMFYUI_PORT`). */
  basePort: number
  /** The ComfyUI directory, under whose `output/` and `temp/` each instance gets its own folder. */
  comfyuiDir: string
}

/**
 * Lays out `gpus × perGpu` instances, GPU by GPU in turn (instance 0 on the first GPU, 1 on the second, …), so the
 * least-loaded-first choice of the pool spreads work over GPUs before it stacks instances on one.
 * Throws when the ports would run past 65535.
 * @example planInstances({ gpus: ['0', '1'], perGpu: 2, basePort: 8188, comfyuiDir: '/opt/ComfyUI' }).map((s) => [s.gpu, s.port])
 * // [['0', 8188], ['1', 8189], ['0', 8190], ['1', 8191]]
 */
export function planInstances(options: PlanOptions): InstanceSlot[] {
  const gpus: (string | undefined)[] = options.gpus.length > 0 ? [...options.gpus] : [undefined]
  const count = gpus.length * options.perGpu
  const lastPort = options.basePort + count - 1
  if (lastPort > 65_535) {
    throw new Error(
      `COMFYUI_PORT ${options.basePort} leaves no room for ${count} ComfyUI instances (GPUS × COMFYUI_PER_GPU): they use ports ${options.basePort}–${lastPort}`,
    )
  }
  return Array.from({ length: count }, (_, index) => {
    const own = `instance-${index}`
    const args =
      count > 1
        ? [
            '--output-directory',
            join(options.comfyuiDir, 'output', own),
            '--temp-directory',
            join(options.comfyuiDir, 'temp', own),
          ]
        : []
    return { index, gpu: gpus[index % gpus.length], port: options.basePort + index, args }
  })
}

/** What {@link threadEnv} needs. */
export interface ThreadOptions {
  /** Instances in the pool (`GPUS × COMFYUI_PER_GPU`). */
  instances: number
  /** CPU threads per instance (`COMFYUI_THREADS`); 0 or absent: automatic. @default 0 */
  threads?: number | undefined
  /** CPU cores to share out when automatic. @default os.availableParallelism() (the cores this process may run on) */
  cpus?: number
  /**
   * The environment the instances inherit: when threads are automatic, a thread variable set (non-empty) here is left
   * as the operator set it. @default process.env
   */
  env?: Readonly<Record<string, string | undefined>>
}

/**
 * The variables that give each instance of a pool its CPU thread budget ({@link threadsPerInstance}) as
 * `OMP_NUM_THREADS` and `MKL_NUM_THREADS`: torch sizes its intra-op thread pool from them, and ComfyUI sets no
 * thread count of its own. With `threads` automatic, a variable the operator set is left out (it is inherited).
 * @example threadEnv({ instances: 4, cpus: 32, env: {} }) // { OMP_NUM_THREADS: '8', MKL_NUM_THREADS: '8' }
 * @example threadEnv({ instances: 4, cpus: 32, env: { OMP_NUM_THREADS: '2' } }) // { MKL_NUM_THREADS: '8' }
 * @example threadEnv({ instances: 4, threads: 3, env: { OMP_NUM_THREADS: '2' } }) // { OMP_NUM_THREADS: '3', MKL_NUM_THREADS: '3' }
 */
export function threadEnv(options: ThreadOptions): Record<string, string> {
  const threads = String(threadsPerInstance(options))
  const explicit = options.threads !== undefined && options.threads > 0
  const inherited = options.env ?? process.env
  const env: Record<string, string> = {}
  for (const name of THREAD_VARIABLES) {
    if (explicit || !inherited[name]) env[name] = threads
  }
  return env
}

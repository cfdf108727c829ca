/**
 * Pools of ComfyUI: `GPUS × COMFYUI_PER_GPU` supervised instances, each with its own GPU, port and bridge, used as
 * one backend.
 * @module
 */

export type { ComfyInstance, ComfyInstanceEvents, ComfyInstanceOptions, InstanceState } from './instance.js'
export { createComfyInstance, InstanceLostError } from './instance.js'
export type { InstanceSlot, PlanOptions, ThreadOptions } from './plan.js'
export { gpuList, planInstances, THREAD_VARIABLES, threadEnv, threadsPerInstance, visibleGpus } from './plan.js'
export type { ComfyPool, ComfyPoolOptions } from './pool.js'
export { createComfyPool, MAX_MOVES } from './pool.js'

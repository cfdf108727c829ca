/**
 * The ComfyUI process supervisor: spawn, readiness, health checks, restarts with backoff, clean stop.
 * @module
 */

export type { ComfyArgsOptions } from './args.js'
export { buildComfyArgs } from './args.js'
export type { BackoffOptions } from './backoff.js'
export { backoffDelay, DEFAULT_BACKOFF } from './backoff.js'
export type { ProbeResult } from './probe.js'
export { probeHttp } from './probe.js'
export type {
  ComfySupervisor,
  ComfySupervisorEvents,
  ComfySupervisorOptions,
  SupervisorState,
} from './supervisor.js'
export { createComfySupervisor } from './supervisor.js'
// Not exported: the emitter, line splitter and process-group helpers are internals of the supervisor.

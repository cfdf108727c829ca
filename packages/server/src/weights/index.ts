/**
 * The weights cache: resumable, verified, locked downloads of model files, and the YAML that points ComfyUI at them.
 * @module
 */

export type { EnsuredModel, EnsureWeightsOptions, EnsureWeightsResult } from './ensure-weights.js'
export { ensureWeights } from './ensure-weights.js'
export type { WeightsErrorCode } from './errors.js'
export { WeightsError } from './errors.js'
export type { ExtraModelPathsOptions } from './extra-model-paths.js'
export { COMFY_MODEL_FOLDERS, renderExtraModelPaths, writeExtraModelPaths } from './extra-model-paths.js'
export { sha256File } from './hash.js'
export type { HeldLock, LockOptions, LockOwner } from './lock.js'
export { acquireLock } from './lock.js'
export type { WeightsModel } from './models.js'
export { DEFAULT_MODELS } from './models.js'
export type { DownloadProgress, ProgressReporterOptions } from './progress.js'
export { createProgressReporter, formatBytes, formatProgress } from './progress.js'
// Not exported: the part-file downloader, sidecar helpers and path check are internals of ensureWeights.

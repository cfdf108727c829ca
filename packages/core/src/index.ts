/**
 * @genimage/core: the genimage API independent of any runtime.
 * @module
 */

// HTTP app
export { DEFAULT_ALLOWED_HOSTS } from './app/allowed-hosts.js'
export type { AppOptions, RequestRecord } from './app/create-app.js'
export { createApp } from './app/create-app.js'
export { renderDocsPage } from './app/docs-page.js'
export { FILE_KEY_PATTERN } from './app/routes/files.js'
// Backends
export type { Backend, BackendErrorKind, BackendImage, BackendJob, BackendState } from './backend.js'
export { BackendError } from './backend.js'
// Errors with an HTTP answer
export { HttpProblem, ValidationProblem } from './errors.js'
export { openApiDocument } from './generated/openapi-document.js'
export type { components, paths } from './generated/openapi-types.js'
// Metrics
export type { Counter, Gauge, Histogram, Labels } from './metrics/registry.js'
export { LATENCY_BUCKETS, MetricsRegistry } from './metrics/registry.js'
// Queue: the port, the embedded implementation, the worker-side runner, errors and their HTTP answers
export { jobErrorOf, jobErrors, queueErrors } from './queue/errors.js'
export type { MemoryJobQueueOptions } from './queue/memory/memory-job-queue.js'
export { MemoryJobQueue } from './queue/memory/memory-job-queue.js'
export type {
  CancelResult,
  DrainOptions,
  DrainReport,
  JobError,
  JobImage,
  JobOutcome,
  JobOwner,
  JobQueue,
  JobRecord,
  JobRecordListener,
  JobState,
  QueueErrorCode,
  QueueHealth,
  SubmitRequest,
} from './queue/port.js'
export { QueueError } from './queue/port.js'
export { jobErrorToProblem, queueErrorToProblem } from './queue/problems.js'
export type { RunJobOptions, RunJobResult } from './queue/runner.js'
export { runJob } from './queue/runner.js'
// Storage
export { contentKey } from './store/content-key.js'
export type { ImageStore, StoredImage } from './store/image-store.js'
export { MemoryImageStore } from './store/memory-store.js'
export { encodeJpeg, encodePng, encodeWebp, paintLatent } from './synthetic/images/index.js'
// Synthetic backend
export type { SyntheticBackendOptions } from './synthetic/synthetic-backend.js'
export { createSyntheticBackend } from './synthetic/synthetic-backend.js'
// Contract types
export type {
  CancelResponse,
  GeneratedImage,
  GenerateRequest,
  GenerateResponse,
  ImageContentType,
  LogLine,
  OutputFormat,
  Progress,
  QueueStatus,
  QueueSubmitResponse,
  Readiness,
  ResolvedGenerateRequest,
  Timings,
  ValidationIssue,
} from './types.js'
// Utilities
export { toBase64 } from './util/base64.js'
export { MAX_SEED, parseJsonBody, randomSeed, resolveGenerateRequest } from './validation/generate-request.js'
// Validation
export type { JsonSchema } from './validation/json-schema.js'
export { validateJson } from './validation/json-schema.js'

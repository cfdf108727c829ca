/**
 * @genimage/core: the genimage API independent of any runtime.
 * @module
 */

// HTTP app
export type { AppOptions, RequestRecord } from './app/create-app.js'
export { createApp } from './app/create-app.js'
export { renderDocsPage } from './app/docs-page.js'
export { FILE_KEY_PATTERN } from './app/routes/files.js'
// Backends
export type { Backend, BackendErrorKind, BackendImage, BackendJob, BackendState } from './backend.js'
export { BackendError } from './backend.js'
export { contentKey } from './engine/content-key.js'
// Job engine
export type { JobImage, JobListener, JobOutcome, JobSnapshot, JobState } from './engine/job.js'
export type { JobEngineOptions, SubmitOptions } from './engine/job-engine.js'
export { JobEngine } from './engine/job-engine.js'
// Errors with an HTTP answer
export { HttpProblem, ValidationProblem } from './errors.js'
export { openApiDocument } from './generated/openapi-document.js'
export type { components, paths } from './generated/openapi-types.js'
// Metrics
export type { Counter, Gauge, Histogram, Labels } from './metrics/registry.js'
export { LATENCY_BUCKETS, MetricsRegistry } from './metrics/registry.js'
// Storage
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

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
export type {
  Backend,
  BackendErrorKind,
  BackendImage,
  BackendInputImage,
  BackendJob,
  BackendResult,
  BackendState,
} from './backend.js'
export { BackendError } from './backend.js'
// Errors with an HTTP answer
export { HttpProblem, ValidationProblem } from './errors.js'
export { openApiDocument } from './generated/openapi-document.js'
export type { components, paths } from './generated/openapi-types.js'
// Image-to-image inputs
export type { InputImageContext, InputImageOptions, InputImageResolver, SniffedImage } from './input-image/index.js'
export {
  createInputImageResolver,
  DEFAULT_MAX_INPUT_IMAGE_BYTES,
  DEFAULT_MAX_INPUT_IMAGE_SIDE,
  sniffImage,
} from './input-image/index.js'
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
export { encodeJpeg, encodePng, encodeWebp, paintImageToImage, paintLatent } from './synthetic/images/index.js'
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
  InputImageRef,
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
// Validation
export type { ExtraInputSchema, ExtraInputs, ExtraInputValue } from './validation/extra-inputs.js'
export { EXTRA_INPUT_KEYWORDS, extraInputProblems, resolveWithExtraInputs } from './validation/extra-inputs.js'
export {
  MAX_SEED,
  parseJsonBody,
  randomSeed,
  resolveGenerateRequest,
  sampledSteps,
  samplingSteps,
} from './validation/generate-request.js'
export type { JsonSchema } from './validation/json-schema.js'
export { validateJson } from './validation/json-schema.js'
// Webhooks: the port, payload and signature, the in-process dispatcher, the fetch sender, the submit-time URL check
export type { WebhookRetryPolicy } from './webhooks/backoff.js'
export { DEFAULT_WEBHOOK_RETRY, nextRetryDelayMs } from './webhooks/backoff.js'
export type { FetchWebhookSenderOptions } from './webhooks/fetch-sender.js'
export { createFetchWebhookSender } from './webhooks/fetch-sender.js'
export type { MemoryWebhookDispatcherOptions } from './webhooks/memory-dispatcher.js'
export { MemoryWebhookDispatcher } from './webhooks/memory-dispatcher.js'
export { createWebhookNotifier } from './webhooks/notifier.js'
export type { WebhookPayload } from './webhooks/payload.js'
export { webhookDeliveryOf, webhookPayload } from './webhooks/payload.js'
export type {
  JobWebhook,
  WebhookAttempt,
  WebhookDelivery,
  WebhookDispatcher,
  WebhookEvent,
  WebhookSender,
} from './webhooks/port.js'
export { decodeWebhookSecret, signWebhook, webhookHeaders } from './webhooks/signature.js'
export type { WebhookAcceptance } from './webhooks/webhook-url.js'
export { MAX_WEBHOOK_URL_LENGTH, readWebhookUrl } from './webhooks/webhook-url.js'

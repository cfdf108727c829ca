/**
 * @genimage/client: generate images with a genimage server, follow its queue, cancel, with retries and time limits
 * suited to image generation.
 * @module
 */

// Client and option types
export type { GenimageClient } from './client.js'
// Client
export { createClient } from './client.js'
export type { ApiErrorInit } from './errors/api-error.js'
export { ApiError } from './errors/api-error.js'
export { AuthenticationError } from './errors/authentication-error.js'
export { BadRequestError } from './errors/bad-request-error.js'
export { ConflictError } from './errors/conflict-error.js'
export { ConnectionError } from './errors/connection-error.js'
export { GenerationFailedError } from './errors/generation-failed-error.js'
export { GenerationTimeoutError } from './errors/generation-timeout-error.js'

// Errors
export { GenimageError } from './errors/genimage-error.js'
// Error guards (work across copies of the package)
export { isApiError, isConnectionError, isGenimageError, isTimeoutError, isUserAbortError } from './errors/guards.js'
export { InternalServerError } from './errors/internal-server-error.js'
export { NotFoundError } from './errors/not-found-error.js'
export { PayloadTooLargeError } from './errors/payload-too-large-error.js'
export { RateLimitError } from './errors/rate-limit-error.js'
export { ServiceUnavailableError } from './errors/service-unavailable-error.js'
export { TimeoutError } from './errors/timeout-error.js'
export { UserAbortError } from './errors/user-abort-error.js'
export { ValidationError } from './errors/validation-error.js'
export type { WebhookVerificationReason } from './errors/webhook-verification-error.js'
export { WebhookVerificationError } from './errors/webhook-verification-error.js'
// Hooks
export type {
  AfterResponseHook,
  Awaitable,
  BeforeErrorHook,
  BeforeRequestHook,
  BeforeRetryHook,
  HookRequest,
  HookState,
  Hooks,
} from './hooks.js'
export type { ClientOptions } from './options.js'
export type { QueueClient, StatusOptions, SubmitOptions } from './queue.js'
export type { PostOptions, RequestOptions } from './request.js'
export type { RetryOptions } from './retry.js'
export type { SubscribeOptions } from './subscribe.js'
export type { TimeoutOption } from './timeout.js'
// Contract types (generated from openapi/genimage.yaml)
export type {
  CancelResponse,
  CompletedStatus,
  GeneratedImage,
  GenerateRequest,
  GenerateResponse,
  InProgressStatus,
  InQueueStatus,
  LogLine,
  Progress,
  QueueStatus,
  QueueSubmitResponse,
  Timings,
  ValidationIssue,
  WebhookPayload,
  WithRequestId,
} from './types.js'
// Webhooks: verify what the server POSTs to a webhook_url
export type { RawWebhook, VerifyWebhookOptions } from './verify-webhook.js'
export { verifyWebhook } from './verify-webhook.js'

// Deliberately private: the request loop, the SSE parser and the option resolvers. They are internals whose shape
// may change; everything a caller needs goes through `createClient`.

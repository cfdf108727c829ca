import type { components } from './generated/openapi-types.js'

type Schemas = components['schemas']

/** A generate request body: only `prompt` is required, every other field has a server-side default. */
export type GenerateRequest = Schemas['GenerateRequest']
/** The answer of `POST /generate` and of a completed queue request. */
export type GenerateResponse = Schemas['GenerateResponse']
/** The image part of a {@link GenerateResponse}. */
export type GeneratedImage = Schemas['Image']
/** Where the time of one generation went, in milliseconds. */
export type Timings = Schemas['Timings']
/** The answer of `POST /queue/generate`: the queue `request_id` and its URLs. */
export type QueueSubmitResponse = Schemas['QueueSubmitResponse']
/** One queue status (`IN_QUEUE` | `IN_PROGRESS` | `COMPLETED`), discriminated by `status`. */
export type QueueStatus = Schemas['QueueStatus']
/** A status while the request waits in the queue. */
export type InQueueStatus = Schemas['InQueueStatus']
/** A status while the request runs, with step progress. */
export type InProgressStatus = Schemas['InProgressStatus']
/** The last status of a request; fetch the result to get the image or the error. */
export type CompletedStatus = Schemas['CompletedStatus']
/** Step progress of a running generation. */
export type Progress = Schemas['Progress']
/** One log line of a queue status. */
export type LogLine = Schemas['LogLine']
/** The answer of a successful cancel. */
export type CancelResponse = { status: 'CANCELLATION_REQUESTED' | 'ALREADY_COMPLETED' }
/** The body of a webhook (fal's shape): `payload` is what the request's `response_url` answers. */
export type WebhookPayload = Schemas['WebhookPayload']
/** One entry of a 422 body's `detail` array (FastAPI/pydantic shape). */
export type ValidationIssue = Schemas['ValidationIssue']

/**
 * A result with the `x-request-id` of the HTTP response that produced it, for support and server logs.
 * @example const { image, requestId } = await client.generate({ prompt: 'a fox' })
 */
export type WithRequestId<T> = T & {
  /** The `x-request-id` of the response, or the id the client sent when the response had none. Never empty. */
  requestId: string
}

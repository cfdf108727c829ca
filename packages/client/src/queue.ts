import { invalid } from './invalid.js'
import type { Config } from './options.js'
import { type PostOptions, type RequestOptions, request } from './request.js'
import type {
  CancelResponse,
  GenerateRequest,
  GenerateResponse,
  QueueStatus,
  QueueSubmitResponse,
  WithRequestId,
} from './types.js'

/**
 * Options of `queue.status`.
 * @example { logs: true }
 */
export interface StatusOptions extends RequestOptions {
  /**
   * Ask for the request's log lines.
   * @default false
   */
  logs?: boolean
}

/**
 * Options of `queue.submit`.
 * @example { webhookUrl: 'https://example.com/genimage-webhook' }
 */
export interface SubmitOptions extends PostOptions {
  /**
   * Where the server POSTs the signed result when the request ends (sent as the body's `webhook_url`); check it with
   * `verifyWebhook`. The server must have webhooks configured (`WEBHOOK_SECRETS`), else the submit fails with 422.
   */
  webhookUrl?: string
}

/**
 * The queue API (fal's queue protocol): submit now, follow the status, fetch the result, cancel.
 * @example const { request_id } = await client.queue.submit({ prompt: 'a fox' })
 */
export interface QueueClient {
  /**
   * Puts a generation in the queue and answers at once with its `request_id`, URLs and queue position.
   * @example const job = await client.queue.submit({ prompt: 'a lighthouse at dawn' })
   */
  submit(input: GenerateRequest, options?: SubmitOptions): Promise<WithRequestId<QueueSubmitResponse>>
  /**
   * The status of a queued request: `IN_QUEUE` with its position, `IN_PROGRESS` with step progress, or `COMPLETED`.
   * @example const { status } = await client.queue.status(job.request_id)
   */
  status(requestId: string, options?: StatusOptions): Promise<WithRequestId<QueueStatus>>
  /**
   * The result of a completed request: the image, or the error it ended with (`GenerationFailedError`, …).
   * A request that is not finished, or was cancelled, rejects with a `BadRequestError`.
   * @example const { image } = await client.queue.result(job.request_id)
   */
  result(requestId: string, options?: RequestOptions): Promise<WithRequestId<GenerateResponse>>
  /**
   * Cancels a queued or running request; a request that already finished answers `ALREADY_COMPLETED`.
   * An unknown id rejects with a `NotFoundError`.
   * @example await client.queue.cancel(job.request_id)
   */
  cancel(requestId: string, options?: RequestOptions): Promise<WithRequestId<CancelResponse>>
}

/** The results of finished requests are final: a failed generation (502, 504) fails again, so only these retry. */
const resultRetryOn: readonly number[] = [408, 429, 500, 503]

function requestPath(requestId: string, suffix = ''): string {
  if (typeof requestId !== 'string' || !requestId)
    throw invalid('requestId', 'the non-empty request_id from submit', requestId)
  return `/queue/requests/${encodeURIComponent(requestId)}${suffix}`
}

/** The {@link QueueClient} of a client. */
export function createQueue(config: Config): QueueClient {
  return {
    submit: async (input, { webhookUrl, ...options } = {}) =>
      request(
        config,
        {
          method: 'POST',
          path: '/queue/generate',
          body: webhookUrl === undefined ? input : { ...input, webhook_url: webhookUrl },
        },
        options,
      ),
    status: async (requestId, { logs, ...options } = {}) =>
      request(config, { method: 'GET', path: requestPath(requestId, logs ? '/status?logs=1' : '/status') }, options),
    result: async (requestId, options) =>
      request(config, { method: 'GET', path: requestPath(requestId), retryOn: resultRetryOn }, options),
    cancel: async (requestId, options) =>
      request(
        config,
        {
          method: 'PUT',
          path: requestPath(requestId, '/cancel'),
          accept: (status, body) => status === 400 && (body as CancelResponse | null)?.status === 'ALREADY_COMPLETED',
        },
        options,
      ),
  }
}

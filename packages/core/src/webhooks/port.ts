/**
 * The webhook port: what a queue hands over when a job with a `webhook_url` ends, and what delivers it. Two
 * implementations keep it, mirroring the job queue: the in-process {@link MemoryWebhookDispatcher} (core: the embedded
 * server and the mocks) and the BullMQ one of `@genimage/server` (durable, on Redis).
 * @module
 */

/** Where a job's webhook goes, carried on the job from submit to its end. */
export interface JobWebhook {
  /** The `http(s)` URL the signed payload is POSTed to. */
  url: string
  /** Origin plus base path of the submitting request: the image URLs of the payload start with it. */
  baseUrl: string
}

/** One webhook message: sent as it is on every attempt, only the timestamp and signatures change. */
export interface WebhookDelivery {
  /** The `webhook-id` header: the request id, the same on every attempt (receivers drop duplicates with it). */
  id: string
  /** The target URL. */
  url: string
  /** The JSON body (a `WebhookPayload`), serialised once. */
  body: string
}

/** The outcome of one POST of a delivery. */
export type WebhookAttempt = { ok: true; status: number } | { ok: false; reason: string; status?: number }

/** POSTs one delivery once (signed, with a timeout, following no redirect) and says how it went; never throws. */
export type WebhookSender = (delivery: WebhookDelivery) => Promise<WebhookAttempt>

/** What happened to a delivery, for logs and metrics (never carries a secret). */
export interface WebhookEvent {
  /** `delivered` (a 2xx), `failed` (will be retried), `given_up` (retries ran out) or `dropped` (at shutdown). */
  type: 'delivered' | 'failed' | 'given_up' | 'dropped'
  /** The delivery's `webhook-id`. */
  id: string
  /** The target URL. */
  url: string
  /** 1 for the first attempt. */
  attempt: number
  /** Why the attempt failed (`HTTP 500`, `timeout`, `refused: 10.0.0.1 is a private address`, …). */
  reason?: string
  /** Milliseconds until the next attempt, for `failed`. */
  retryInMs?: number
}

/** Delivers webhooks with retries. Implementations: `MemoryWebhookDispatcher` (core), the BullMQ one (server). */
export interface WebhookDispatcher {
  /** Takes a delivery over (one per `id`: a second dispatch of an id still pending is ignored); resolves once it is held. */
  dispatch(delivery: WebhookDelivery): Promise<void>
  /** On shutdown: pending deliveries get one more attempt (in-process) or stay queued (durable); resolves after. */
  drain(): Promise<void>
  /** Releases timers and connections; deliveries dispatched after it are ignored. */
  close(): Promise<void>
}

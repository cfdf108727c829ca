import { DEFAULT_WEBHOOK_RETRY, nextRetryDelayMs, type WebhookRetryPolicy } from './backoff.js'
import type { WebhookDelivery, WebhookDispatcher, WebhookEvent, WebhookSender } from './port.js'

/** Options of {@link MemoryWebhookDispatcher}. */
export interface MemoryWebhookDispatcherOptions {
  /** POSTs one attempt (signed): `createFetchWebhookSender` in core, the SSRF-guarded one in `@genimage/server`. */
  send: WebhookSender
  /** Retry bounds; missing fields keep {@link DEFAULT_WEBHOOK_RETRY}. @default DEFAULT_WEBHOOK_RETRY */
  retry?: Partial<WebhookRetryPolicy>
  /** Called on every delivered, failed, given-up and dropped attempt (logs, metrics). */
  onEvent?: (event: WebhookEvent) => void
  /** Source of the backoff jitter. @default Math.random */
  random?: () => number
  /** Clock in epoch milliseconds. @default Date.now */
  now?: () => number
}

interface Pending {
  delivery: WebhookDelivery
  attempts: number
  firstAt: number
  timer?: ReturnType<typeof setTimeout>
  inFlight?: Promise<void>
}

/**
 * The in-process {@link WebhookDispatcher}: deliveries wait on timers in this process's memory, retried with
 * exponential backoff and jitter within the policy's bounds. Not durable: {@link drain} gives each pending delivery
 * one more attempt and then drops it (reported as `dropped`); the BullMQ dispatcher of `@genimage/server` is durable.
 * @example
 * const webhooks = new MemoryWebhookDispatcher({ send: createFetchWebhookSender({ secrets: ['whsec_c2VjcmV0'] }) })
 * await webhooks.dispatch({ id: 'req-1', url: 'https://example.com/hook', body: '{}' })
 */
export class MemoryWebhookDispatcher implements WebhookDispatcher {
  readonly #send: WebhookSender
  readonly #policy: WebhookRetryPolicy
  readonly #onEvent: (event: WebhookEvent) => void
  readonly #random: () => number
  readonly #now: () => number
  readonly #pending = new Map<string, Pending>()
  #draining = false
  #closed = false

  constructor(options: MemoryWebhookDispatcherOptions) {
    this.#send = options.send
    this.#policy = { ...DEFAULT_WEBHOOK_RETRY, ...options.retry }
    this.#onEvent = options.onEvent ?? (() => {})
    this.#random = options.random ?? Math.random
    this.#now = options.now ?? Date.now
  }

  /** Deliveries not yet delivered nor given up. */
  get pending(): number {
    return this.#pending.size
  }

  async dispatch(delivery: WebhookDelivery): Promise<void> {
    if (this.#closed || this.#pending.has(delivery.id)) return
    const pending: Pending = { delivery, attempts: 0, firstAt: this.#now() }
    this.#pending.set(delivery.id, pending)
    this.#attempt(pending)
  }

  async drain(): Promise<void> {
    this.#draining = true
    for (const pending of this.#pending.values()) {
      if (pending.timer === undefined) continue
      clearTimeout(pending.timer)
      this.#attempt(pending)
    }
    await Promise.all([...this.#pending.values()].map((pending) => pending.inFlight))
  }

  async close(): Promise<void> {
    this.#closed = true
    this.#draining = true
    for (const pending of this.#pending.values()) clearTimeout(pending.timer)
    this.#pending.clear()
  }

  #attempt(pending: Pending): void {
    pending.timer = undefined
    pending.attempts += 1
    pending.inFlight = this.#send(pending.delivery).then((result) => this.#settle(pending, result))
  }

  #settle(pending: Pending, result: Awaited<ReturnType<WebhookSender>>): void {
    pending.inFlight = undefined
    if (!this.#pending.has(pending.delivery.id)) return
    const { id, url } = pending.delivery
    const event = { id, url, attempt: pending.attempts }
    if (result.ok) {
      this.#pending.delete(id)
      this.#onEvent({ type: 'delivered', ...event })
      return
    }
    const delay = this.#draining
      ? undefined
      : nextRetryDelayMs(this.#policy, pending.attempts, this.#now() - pending.firstAt, this.#random)
    if (delay === undefined) {
      this.#pending.delete(id)
      this.#onEvent({ type: this.#draining ? 'dropped' : 'given_up', ...event, reason: result.reason })
      return
    }
    this.#onEvent({ type: 'failed', ...event, reason: result.reason, retryInMs: delay })
    pending.timer = setTimeout(() => this.#attempt(pending), delay)
    // Pending retries never keep a process alive on their own (Node); browsers have no unref.
    ;(pending.timer as { unref?: () => void }).unref?.()
  }
}

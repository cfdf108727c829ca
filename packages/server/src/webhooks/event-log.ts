import type { MetricsRegistry, WebhookEvent } from '@genimage/core'
import type { Logger } from 'pino'

/**
 * Logs and counts webhook events: each failed attempt once (`warn`), a give-up (`error`), a drop at shutdown
 * (`warn`), a delivery (`debug`); counters `genimage_webhooks_total{result}`. Never logs a secret or a body.
 * @example new MemoryWebhookDispatcher({ send, onEvent: logWebhookEvents(logger, metrics) })
 */
export function logWebhookEvents(logger: Logger, metrics: MetricsRegistry): (event: WebhookEvent) => void {
  const total = metrics.counter(
    'genimage_webhooks_total',
    'Webhook attempts by result: delivered, failed (retried), given_up, dropped (at shutdown).',
  )
  return (event) => {
    total.inc({ result: event.type })
    const fields = { webhookId: event.id, url: event.url, attempt: event.attempt, reason: event.reason }
    switch (event.type) {
      case 'delivered':
        logger.debug(fields, 'webhook delivered')
        return
      case 'failed':
        logger.warn(
          { ...fields, retryInMs: event.retryInMs },
          `webhook attempt ${event.attempt} failed (${event.reason}); retrying in ${Math.round((event.retryInMs ?? 0) / 1000)} s`,
        )
        return
      case 'given_up':
        logger.error(fields, `webhook given up after ${event.attempt} attempts: ${event.reason}`)
        return
      default:
        logger.warn(fields, `webhook dropped at shutdown after ${event.attempt} attempts: ${event.reason}`)
    }
  }
}

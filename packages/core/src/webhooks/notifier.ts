import type { JobRecord } from '../queue/port.js'
import type { ImageStore } from '../store/image-store.js'
import { webhookDeliveryOf } from './payload.js'
import type { WebhookDispatcher } from './port.js'

/**
 * What a queue calls when a job completes: builds the webhook of a job that carries one (nothing for others) and
 * hands it to the dispatcher. Never rejects: a failure to build or hand it over goes to `onError`.
 * @example new MemoryJobQueue({ …, onJobFinished: (record) => void notify(record) })
 */
export function createWebhookNotifier(options: {
  /** Where the job's image is (a `sync_mode` payload inlines its bytes). */
  store: ImageStore
  /** Where the delivery goes. */
  dispatcher: WebhookDispatcher
  /** Called when the payload could not be built or handed over. */
  onError?: (error: unknown, record: JobRecord) => void
}): (record: JobRecord) => Promise<void> {
  return async (record) => {
    try {
      const delivery = await webhookDeliveryOf(record, options.store)
      if (delivery) await options.dispatcher.dispatch(delivery)
    } catch (error) {
      options.onError?.(error, record)
    }
  }
}

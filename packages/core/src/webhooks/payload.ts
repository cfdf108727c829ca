import { resultBody } from '../app/status.js'
import { HttpProblem } from '../errors.js'
import type { components } from '../generated/openapi-types.js'
import { jobErrors } from '../queue/errors.js'
import type { JobRecord } from '../queue/port.js'
import { jobErrorToProblem } from '../queue/problems.js'
import type { ImageStore } from '../store/image-store.js'
import type { WebhookDelivery } from './port.js'

/** The body of a webhook (fal's shape): `payload` is exactly what `GET response_url` answers. */
export type WebhookPayload = components['schemas']['WebhookPayload']

/**
 * The webhook body of a completed job: `status: 'OK'` with the generate response, or `'ERROR'` with the error body
 * its result answers (`{ detail }`, a list of issues for a 422) and the reason in `error`.
 * @example await webhookPayload(record, store, (key) => `https://api.example.com/files/${key}`)
 */
export async function webhookPayload(
  record: JobRecord,
  store: ImageStore,
  fileUrl: (key: string) => string,
): Promise<WebhookPayload> {
  let problem: HttpProblem
  if (record.outcome === 'succeeded') {
    try {
      return { request_id: record.id, status: 'OK', payload: await resultBody(record, store, fileUrl), error: null }
    } catch (error) {
      if (!(error instanceof HttpProblem)) throw error
      problem = error
    }
  } else {
    problem = jobErrorToProblem(record.error ?? jobErrors.internal())
  }
  const { detail } = problem.toBody()
  // Split by kind so each branch is one of the contract's two error bodies (a message, or a 422's list of issues).
  const payload = typeof detail === 'string' ? { detail } : { detail }
  return { request_id: record.id, status: 'ERROR', payload, error: problem.message }
}

/**
 * The delivery of a completed job that carries a webhook, or `undefined` for one without: its image URLs start with
 * the submitting request's base URL (or the store's public URL).
 * @example const delivery = await webhookDeliveryOf(record, store)
 */
export async function webhookDeliveryOf(record: JobRecord, store: ImageStore): Promise<WebhookDelivery | undefined> {
  const { webhook } = record
  if (!webhook || record.state !== 'COMPLETED') return undefined
  const fileUrl = (key: string): string => store.publicUrl?.(key) ?? `${webhook.baseUrl}/files/${key}`
  const payload = await webhookPayload(record, store, fileUrl)
  return { id: record.id, url: webhook.url, body: JSON.stringify(payload) }
}

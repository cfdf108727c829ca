import type { Hono } from 'hono'
import { jobErrors } from '../../queue/errors.js'
import type { JobRecord, SubmitRequest } from '../../queue/port.js'
import { jobErrorToProblem } from '../../queue/problems.js'
import { sha256Hex } from '../../util/sha256.js'
import { resolveWithExtraInputs } from '../../validation/extra-inputs.js'
import { resolveGenerateRequest } from '../../validation/generate-request.js'
import { readWebhookUrl } from '../../webhooks/webhook-url.js'
import type { AppContext } from '../context.js'
import { readIdempotencyKey } from '../idempotency-key.js'
import { withInputImage } from '../input-image.js'
import { fingerprint, readJsonBody } from '../request-body.js'
import { requestUrls, resultBody, submitBody } from '../status.js'

/** `POST /generate` (wait for the image) and `POST /queue/generate` (enqueue and answer at once). */
export function registerGenerateRoutes(app: Hono, context: AppContext): void {
  const { queue } = context

  const accept = async (request: Request, route: string) => {
    const idempotencyKey = readIdempotencyKey(request.headers)
    const body = await readJsonBody(request, context.maxGenerateBodyBytes)
    const resolved = resolveWithExtraInputs(body, context.extraInputs, (rest) => resolveGenerateRequest(rest))
    const withImage = withInputImage(resolved, body, request, context)
    const input = withImage instanceof Promise ? await withImage : withImage
    // Most requests have no query at all: no URL to parse then.
    const fal = request.url.includes('?')
      ? (new URL(request.url).searchParams.get('fal_webhook') ?? undefined)
      : undefined
    const webhookUrl = readWebhookUrl(body, fal, route === 'queue' ? 'queue' : 'generate', context.webhooks)
    const owner = context.owner(request)
    // The webhook URL is part of the fingerprint wherever it came from (the body or ?fal_webhook=).
    const printed = webhookUrl === undefined ? body : { ...(body as object), webhook_url: webhookUrl }
    // A digest keeps every idempotency entry small whatever the body (up to maxBodyBytes) was.
    const bodyDigest = idempotencyKey === undefined ? '' : sha256Hex(fingerprint(route, printed))
    const webhook = webhookUrl === undefined ? undefined : { url: webhookUrl, baseUrl: context.baseUrl(request) }
    const submit: SubmitRequest = { input, owner, idempotencyKey, fingerprint: bodyDigest }
    if (webhook) submit.webhook = webhook
    const job = await queue.submit(submit)
    return { job, owner, idempotencyKey }
  }

  app.post('/generate', async (c) => {
    const { job, owner, idempotencyKey } = await accept(c.req.raw, 'generate')
    // A caller that hangs up without an idempotency key can never collect the image: free the GPU. One with a key
    // may ask again, so its job runs on.
    const signal = idempotencyKey === undefined ? c.req.raw.signal : undefined
    const onHangUp = (): void => void queue.cancel(job.id, owner).catch(() => {})
    signal?.addEventListener('abort', onHangUp, { once: true })
    if (signal?.aborted) onHangUp()
    let done: JobRecord
    try {
      done = await queue.waitFor(job.id, owner)
    } finally {
      signal?.removeEventListener('abort', onHangUp)
    }
    if (done.outcome !== 'succeeded') throw jobErrorToProblem(done.error ?? jobErrors.internal())
    const result = resultBody(done, context.store, (key) => context.fileUrl(c.req.raw, key))
    const body = result instanceof Promise ? await result : result
    return c.json(body, 200, { 'x-fal-request-id': done.id })
  })

  app.post('/queue/generate', async (c) => {
    const { job } = await accept(c.req.raw, 'queue')
    return c.json(submitBody(job, requestUrls(context.baseUrl(c.req.raw), job.id)), 202, { 'x-fal-request-id': job.id })
  })
}

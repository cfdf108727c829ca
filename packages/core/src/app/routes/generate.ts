import type { Hono } from 'hono'
import { resolveGenerateRequest } from '../../validation/generate-request.js'
import type { AppContext } from '../context.js'
import { fingerprint, readJsonBody } from '../request-body.js'
import { requestUrls, resultBody, submitBody } from '../status.js'

/** `POST /generate` (wait for the image) and `POST /queue/generate` (enqueue and answer at once). */
export function registerGenerateRoutes(app: Hono, context: AppContext): void {
  const { engine } = context

  const accept = async (request: Request, route: string) => {
    const body = await readJsonBody(request, context.maxBodyBytes)
    const input = resolveGenerateRequest(body)
    const idempotencyKey = request.headers.get('idempotency-key') ?? undefined
    const job = engine.submit(input, { idempotencyKey, fingerprint: fingerprint(route, body) })
    return { job, idempotencyKey }
  }

  app.post('/generate', async (c) => {
    const { job, idempotencyKey } = await accept(c.req.raw, 'generate')
    const signal = c.req.raw.signal
    // A caller that hangs up without an idempotency key can never collect the image: free the GPU.
    const onHangUp = (): void => {
      if (idempotencyKey === undefined) engine.cancel(job.id)
    }
    signal.addEventListener('abort', onHangUp, { once: true })
    const done = await engine.waitFor(job.id).finally(() => signal.removeEventListener('abort', onHangUp))
    if (done.outcome !== 'succeeded') throw done.error
    return c.json(
      resultBody(done, (key) => context.fileUrl(c.req.raw, key)),
      200,
      { 'x-fal-request-id': done.id },
    )
  })

  app.post('/queue/generate', async (c) => {
    const { job } = await accept(c.req.raw, 'queue')
    return c.json(submitBody(job, requestUrls(context.baseUrl(c.req.raw), job.id)), 202, { 'x-fal-request-id': job.id })
  })
}

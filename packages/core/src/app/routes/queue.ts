import type { Hono } from 'hono'
import { HttpProblem } from '../../errors.js'
import { jobErrors, queueErrors } from '../../queue/errors.js'
import type { JobRecord } from '../../queue/port.js'
import { jobErrorToProblem } from '../../queue/problems.js'
import type { AppContext } from '../context.js'
import { requestUrls, resultBody, statusBody } from '../status.js'

/** Interval of the `: ping` comments that keep idle SSE connections open through proxies. */
const SSE_PING_MS = 15_000

const wantsLogs = (value: string | undefined): boolean => value === '1' || value === 'true'

/**
 * The fal-compatible queue routes: status, streamed status, result and cancel. Every route sees only the caller's
 * own jobs: another owner's request id answers 404 exactly like an unknown one.
 */
export function registerQueueRoutes(app: Hono, context: AppContext): void {
  const { queue } = context

  const find = async (request: Request, id: string): Promise<JobRecord> => {
    const job = await queue.get(id, context.owner(request))
    if (!job) throw queueErrors.notFound(id)
    return job
  }

  app.get('/queue/requests/:id/status', async (c) => {
    const job = await find(c.req.raw, c.req.param('id'))
    const urls = requestUrls(context.baseUrl(c.req.raw), job.id)
    return c.json(statusBody(job, urls, wantsLogs(c.req.query('logs'))))
  })

  app.get('/queue/requests/:id/status/stream', async (c) => {
    const id = c.req.param('id')
    const urls = requestUrls(context.baseUrl(c.req.raw), id)
    const includeLogs = wantsLogs(c.req.query('logs'))
    const encoder = new TextEncoder()
    let closed = false
    let unsubscribe = (): void => {}
    let ping: ReturnType<typeof setInterval> | undefined
    const stop = (): void => {
      closed = true
      clearInterval(ping)
      unsubscribe()
    }
    let controller!: ReadableStreamDefaultController<Uint8Array>
    const stream = new ReadableStream<Uint8Array>({
      start(streamController) {
        controller = streamController
      },
      cancel() {
        stop()
      },
    })
    const send = (record: JobRecord): void => {
      if (closed) return
      const status = statusBody(record, urls, includeLogs)
      controller.enqueue(encoder.encode(`event: status\ndata: ${JSON.stringify(status)}\n\n`))
      if (record.state === 'COMPLETED') {
        stop()
        controller.close()
      }
    }
    // Throws `not_found` (404) before any byte is sent for a job the caller cannot see.
    unsubscribe = await queue.watch(id, context.owner(c.req.raw), send)
    if (closed) unsubscribe()
    else ping = setInterval(() => controller.enqueue(encoder.encode(': ping\n\n')), SSE_PING_MS)
    return new Response(stream, {
      headers: { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform' },
    })
  })

  app.get('/queue/requests/:id', async (c) => {
    const job = await find(c.req.raw, c.req.param('id'))
    if (job.state !== 'COMPLETED') throw new HttpProblem(400, 'Request is still in progress')
    if (job.outcome !== 'succeeded') throw jobErrorToProblem(job.error ?? jobErrors.internal())
    const body = await resultBody(job, context.store, (key) => context.fileUrl(c.req.raw, key))
    return c.json(body, 200, { 'x-fal-request-id': job.id })
  })

  app.put('/queue/requests/:id/cancel', async (c) => {
    const id = c.req.param('id')
    switch (await queue.cancel(id, context.owner(c.req.raw))) {
      case 'cancellation_requested':
        return c.json({ status: 'CANCELLATION_REQUESTED' as const }, 202)
      case 'already_completed':
        return c.json({ status: 'ALREADY_COMPLETED' as const, detail: `Request ${id} has already completed` }, 400)
      default:
        return c.json({ status: 'NOT_FOUND' as const, detail: queueErrors.notFound(id).message }, 404)
    }
  })
}

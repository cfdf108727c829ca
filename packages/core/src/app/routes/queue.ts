import type { Hono } from 'hono'
import { HttpProblem } from '../../errors.js'
import type { AppContext } from '../context.js'
import { requestUrls, resultBody, statusBody } from '../status.js'

/** Interval of the `: ping` comments that keep idle SSE connections open through proxies. */
const SSE_PING_MS = 15_000

const wantsLogs = (value: string | undefined): boolean => value === '1' || value === 'true'

/** The fal-compatible queue routes: status, streamed status, result and cancel. */
export function registerQueueRoutes(app: Hono, context: AppContext): void {
  const { engine } = context

  const find = (id: string) => {
    const job = engine.get(id)
    if (!job) throw new HttpProblem(404, `Request ${id} not found`)
    return job
  }

  app.get('/queue/requests/:id/status', (c) => {
    const job = find(c.req.param('id'))
    const urls = requestUrls(context.baseUrl(c.req.raw), job.id)
    return c.json(statusBody(job, urls, wantsLogs(c.req.query('logs'))))
  })

  app.get('/queue/requests/:id/status/stream', (c) => {
    const job = find(c.req.param('id'))
    const urls = requestUrls(context.baseUrl(c.req.raw), job.id)
    const includeLogs = wantsLogs(c.req.query('logs'))
    const encoder = new TextEncoder()
    let stop = (): void => {}
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        const ping = setInterval(() => controller.enqueue(encoder.encode(': ping\n\n')), SSE_PING_MS)
        let closed = false
        let unsubscribe = (): void => {}
        stop = () => {
          closed = true
          clearInterval(ping)
          unsubscribe()
        }
        const send = (snapshot: typeof job): void => {
          if (closed) return
          const status = statusBody(snapshot, urls, includeLogs)
          controller.enqueue(encoder.encode(`event: status\ndata: ${JSON.stringify(status)}\n\n`))
          if (snapshot.state === 'COMPLETED') {
            stop()
            controller.close()
          }
        }
        const current = engine.get(job.id) ?? job
        if (current.state !== 'COMPLETED') unsubscribe = engine.subscribe(job.id, send)
        send(current)
      },
      cancel() {
        stop()
      },
    })
    return new Response(stream, {
      headers: { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform' },
    })
  })

  app.get('/queue/requests/:id', (c) => {
    const job = find(c.req.param('id'))
    if (job.state !== 'COMPLETED') throw new HttpProblem(400, 'Request is still in progress')
    if (job.outcome !== 'succeeded') throw job.error ?? new HttpProblem(500, 'Internal server error')
    return c.json(
      resultBody(job, (key) => context.fileUrl(c.req.raw, key)),
      200,
      { 'x-fal-request-id': job.id },
    )
  })

  app.put('/queue/requests/:id/cancel', (c) => {
    const id = c.req.param('id')
    if (!engine.get(id)) return c.json({ status: 'NOT_FOUND' as const, detail: `Request ${id} not found` }, 404)
    return engine.cancel(id)
      ? c.json({ status: 'CANCELLATION_REQUESTED' as const }, 202)
      : c.json({ status: 'ALREADY_COMPLETED' as const, detail: `Request ${id} has already completed` }, 400)
  })
}

import type { Hono } from 'hono'
import type { BackendState } from '../../backend.js'
import { openApiDocument } from '../../generated/openapi-document.js'
import type { Readiness } from '../../types.js'
import type { AppContext } from '../context.js'
import { renderDocsPage } from '../docs-page.js'
import { withExtraInputs } from '../extra-inputs-document.js'

const readinessStatus: Record<BackendState, Readiness['status']> = {
  starting: 'starting',
  warming_up: 'warming_up',
  ready: 'ready',
  restarting: 'restarting',
  stopped: 'restarting',
}

/** `/health`, `/ready`, `/metrics`, `/openapi.json` and `/docs`. */
export function registerOpsRoutes(app: Hono, context: AppContext): void {
  const { queue, metrics } = context
  let docsPage: string | undefined
  const document = withExtraInputs(openApiDocument, context.extraInputs)

  app.get('/health', (c) => c.json({ status: 'ok' as const }))

  app.get('/ready', async (c) => {
    const health = await queue.health()
    const status: Readiness['status'] = health.draining ? 'draining' : readinessStatus[health.state]
    const body: Readiness = { status, backend: health.backend, queue_depth: health.waiting }
    if (status === 'ready') return c.json(body)
    return c.json(body, 503, { 'Retry-After': '5' })
  })

  app.get('/metrics', (c) =>
    c.text(metrics.render(), 200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }),
  )

  app.get('/openapi.json', (c) =>
    c.json({ ...document, servers: [{ url: context.baseUrl(c.req.raw), description: 'This server' }] }),
  )

  app.get('/docs', (c) => {
    docsPage ??= renderDocsPage(document)
    return c.html(docsPage)
  })
}

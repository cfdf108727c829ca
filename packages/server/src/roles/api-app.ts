import { createApp, type ImageStore, type JobQueue, type MetricsRegistry } from '@genimage/core'
import type { Hono } from 'hono'
import type { Logger } from 'pino'
import { declaredInputs, defaultWorkflowDir, WorkflowError } from '../comfyui/index.js'
import { ConfigError, type ServerConfig } from '../config/index.js'
import { registerScalarBundle } from '../docs/scalar-bundle.js'
import { createRemoteImageFetcher } from '../input-image/remote.js'
import { findPlaygroundDir, registerPlayground } from '../playground/index.js'
import { webhookAcceptance } from '../webhooks/setup.js'

/**
 * The public API over `queue` (with Scalar's interactive `/docs` and the web playground at `/` when built), as every API-serving role exposes it.
 * @example const app = createApiApp(config, logger, { queue, store, metrics })
 */
export function createApiApp(
  config: ServerConfig,
  logger: Logger,
  parts: { queue: JobQueue; store: ImageStore; metrics: MetricsRegistry },
): Hono {
  const app = createApp({
    ...parts,
    apiKeys: config.apiKeys,
    maxBodyBytes: config.maxBodyBytes,
    inputImages: {
      maxBytes: config.imageUrlMaxBytes,
      maxSide: config.imageUrlMaxSide,
      allowedHosts: config.imageUrlAllowedHosts,
      fetchRemote: createRemoteImageFetcher(),
    },
    publicBaseUrl: config.publicBaseUrl,
    allowedHosts: config.allowedHosts,
    webhooks: webhookAcceptance(config),
    extraInputs: workflowInputs(config),
    onRequest: (record) => logger.debug(record, `${record.method} ${record.route} ${record.status}`),
  })
  registerScalarBundle(app)
  // After the API routes, so that it never shadows them.
  const playground = findPlaygroundDir()
  if (playground) registerPlayground(app, playground)
  return app
}

/** The extra inputs of the configured workflow (`WORKFLOW`); a bad declaration stops the server before it listens. */
function workflowInputs(config: ServerConfig) {
  try {
    return declaredInputs(config.workflow ?? defaultWorkflowDir())
  } catch (error) {
    if (error instanceof WorkflowError) throw new ConfigError(error.message, '--workflow', error.dir)
    throw error
  }
}

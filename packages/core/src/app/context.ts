import type { InputImageResolver } from '../input-image/resolve.js'
import type { MetricsRegistry } from '../metrics/registry.js'
import type { JobOwner, JobQueue } from '../queue/port.js'
import type { ImageStore } from '../store/image-store.js'
import type { ExtraInputs } from '../validation/extra-inputs.js'
import type { WebhookAcceptance } from '../webhooks/webhook-url.js'

/** What every route needs: the queue, the store, the request limits, the caller's identity and public URLs. */
export interface AppContext {
  queue: JobQueue
  store: ImageStore
  metrics: MetricsRegistry
  maxBodyBytes: number
  /** Largest body of the generate routes: `maxBodyBytes` plus room for a base64 `image_url` of the largest input image. */
  maxGenerateBodyBytes: number
  /** Resolves `image_url` (image-to-image) into a stored input image. */
  inputImages: InputImageResolver
  /** Whether and where `webhook_url` is accepted; `undefined`: refused (422). */
  webhooks: WebhookAcceptance | undefined
  /** Request fields the deployment adds to the contract's. */
  extraInputs: ExtraInputs | undefined
  /** The owner of the request at hand (derived from its API key, `'anonymous'` without keys). */
  owner(request: Request): JobOwner
  /** Origin plus base path that public URLs start with, for the request at hand. */
  baseUrl(request: Request): string
  /** Public URL of a stored image. */
  fileUrl(request: Request, key: string): string
}

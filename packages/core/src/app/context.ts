import type { MetricsRegistry } from '../metrics/registry.js'
import type { JobOwner, JobQueue } from '../queue/port.js'
import type { ImageStore } from '../store/image-store.js'

/** What every route needs: the queue, the store, the request limits, the caller's identity and public URLs. */
export interface AppContext {
  queue: JobQueue
  store: ImageStore
  metrics: MetricsRegistry
  maxBodyBytes: number
  /** The owner of the request at hand (derived from its API key, `'anonymous'` without keys). */
  owner(request: Request): JobOwner
  /** Origin plus base path that public URLs start with, for the request at hand. */
  baseUrl(request: Request): string
  /** Public URL of a stored image. */
  fileUrl(request: Request, key: string): string
}

import type { JobEngine } from '../engine/job-engine.js'

/** What every route needs: the engine, the request limits and how to build public URLs. */
export interface AppContext {
  engine: JobEngine
  maxBodyBytes: number
  /** Origin plus base path that public URLs start with, for the request at hand. */
  baseUrl(request: Request): string
  /** Public URL of a stored image. */
  fileUrl(request: Request, key: string): string
}

import type { JobQueue, MetricsRegistry } from '@genimage/core'
import type { Hono } from 'hono'
import type { ConfiguredBackend } from '../backend-from-config.js'

/** What one role runs behind its HTTP listener. */
export interface RoleParts {
  /** The public API, or a worker's health and metrics. */
  app: Hono
  /** The job queue the API answers from; absent on a worker. */
  queue: JobQueue | undefined
  /** The backend that runs jobs; absent on an API node. */
  configured: ConfiguredBackend | undefined
  /** The registry `/metrics` renders. */
  metrics: MetricsRegistry
  /** What the first log line says this process is. */
  description: string
  /** Starts what runs behind the listener (backend, worker, Redis); resolves when this node is ready. */
  start(): Promise<void>
  /** On shutdown: refuses new work and ends what this node owes within `graceMs`. */
  drain(graceMs: number): Promise<void>
  /** Stops the backend and closes connections. */
  stop(): Promise<void>
}

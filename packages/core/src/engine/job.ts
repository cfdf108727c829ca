import type { HttpProblem } from '../errors.js'
import type { ImageContentType, LogLine, Progress, ResolvedGenerateRequest, Timings } from '../types.js'

/** Where a job is in its life, using the queue protocol's names. */
export type JobState = 'IN_QUEUE' | 'IN_PROGRESS' | 'COMPLETED'

/** How a completed job ended. */
export type JobOutcome = 'succeeded' | 'failed' | 'cancelled'

/** The stored image of a succeeded job. */
export interface JobImage {
  /** The store key (`<hash>.<ext>`). */
  key: string
  contentType: ImageContentType
  fileSize: number
  width: number
  height: number
  /** The bytes, kept only for `sync_mode` answers. */
  inlineBytes?: Uint8Array
}

/** A read-only view of one job, as routes and listeners see it. */
export interface JobSnapshot {
  readonly id: string
  readonly input: ResolvedGenerateRequest
  readonly state: JobState
  /** Jobs ahead of this one while `IN_QUEUE`, else 0. */
  readonly queuePosition: number
  readonly progress: Progress
  readonly logs: readonly LogLine[]
  readonly outcome?: JobOutcome
  readonly image?: JobImage
  readonly timings?: Timings
  /** The error a failed or cancelled job answers with. */
  readonly error?: HttpProblem
}

/** Called with a fresh snapshot whenever a job changes (queued position, progress, completion). */
export type JobListener = (snapshot: JobSnapshot) => void

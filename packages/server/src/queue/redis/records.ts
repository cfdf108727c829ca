import {
  type JobError,
  type JobImage,
  type JobOwner,
  type JobRecord,
  type JobWebhook,
  type LogLine,
  type Progress,
  type ResolvedGenerateRequest,
  samplingSteps,
  type Timings,
} from '@genimage/core'
import type { RawJob } from './scripts.js'

/** What a BullMQ job carries: the owner, the validated request (never image bytes) and when it was accepted. */
export interface JobData {
  owner: JobOwner
  input: ResolvedGenerateRequest
  /** Epoch milliseconds on the accepting API node's clock. */
  acceptedAt: number
  /** Where the result is POSTed when the job completes (`webhook_url`). */
  webhook?: JobWebhook
}

/** When a worker ran a job, on its clock (epoch milliseconds). */
export interface RunSpan {
  startedAt: number
  finishedAt: number
}

/** What a worker reports as BullMQ progress: the sampling step and the job's log lines so far. */
export interface ProgressData extends Progress {
  logs: LogLine[]
}

/**
 * What a succeeded BullMQ job returns: the stored images (bytes in the store) and the worker-side timings. Results
 * written before `num_images` existed carry one `image` instead; they read as `images: [image]`.
 */
export interface ResultData extends RunSpan {
  images: JobImage[]
  /** The one image of a result written by an older worker. */
  image?: JobImage
  timings: Pick<Timings, 'inference_ms' | 'encode_ms'>
}

/** What a worker fails a BullMQ job with (as JSON, BullMQ's `failedReason`). */
export interface FailureData extends Partial<RunSpan> {
  error: JobError
}

/** Log lines kept per job at most (the newest). */
export const MAX_LOG_LINES = 100

const round = (ms: number): number => Math.round(ms * 10) / 10

const parse = <T>(text: string): T | undefined => {
  if (!text) return undefined
  try {
    return JSON.parse(text) as T
  } catch {
    return undefined
  }
}

/**
 * What a failed BullMQ job stands for: the {@link FailureData} a worker failed it with, or (for failures BullMQ
 * decided itself, such as a job that stalled on worker after worker) a 503 asking the caller to submit it again.
 * @example failureOf('job stalled more than allowable limit').error.kind // 'dropped'
 */
export function failureOf(failedReason: string): FailureData {
  const failure = parse<FailureData>(failedReason)
  if (failure?.error && typeof failure.error.status === 'number') return failure
  return {
    error: {
      status: 503,
      kind: 'dropped',
      message: `Request was dropped: ${failedReason || 'its worker was lost'}; submit it again`,
      retryAfterS: 5,
    },
  }
}

/**
 * The port's {@link JobRecord} of a job read with `readJob`, or `undefined` when it is not `owner`'s.
 * @example const record = recordOf(await scripts.readJob(id), id, owner)
 */
export function recordOf(raw: RawJob | undefined, id: string, owner: JobOwner): JobRecord | undefined {
  if (!raw) return undefined
  if (raw.kind === 'cancelled') {
    const record = parse<JobRecord>(raw.record)
    return record?.owner === owner ? record : undefined
  }
  const data = parse<JobData>(raw.data)
  if (!data || data.owner !== owner) return undefined
  const acceptedAt = data.acceptedAt ?? Number(raw.timestamp)
  const totalSteps = samplingSteps(data.input)
  const reported = parse<ProgressData>(raw.progress)
  const progress: Progress = reported
    ? { step: reported.step, total_steps: reported.total_steps }
    : { step: 0, total_steps: totalSteps }
  const webhook = data.webhook && { webhook: data.webhook }
  const base = { id, owner, input: data.input, progress, logs: reported?.logs ?? [], acceptedAt, ...webhook }
  if (!raw.finishedOn) {
    if (raw.position >= 0 || !raw.processedOn) {
      return { ...base, state: 'IN_QUEUE', queuePosition: Math.max(0, raw.position) }
    }
    return { ...base, state: 'IN_PROGRESS', queuePosition: 0 }
  }
  const result = raw.returnvalue ? parse<ResultData>(raw.returnvalue) : undefined
  const finishedOn = Number(raw.finishedOn)
  const record = { ...base, state: 'IN_PROGRESS' as const, queuePosition: 0 }
  return result
    ? succeededRecord(record, result, finishedOn)
    : failedRecord(record, failureOf(raw.failedReason), finishedOn)
}

/**
 * The completed record of a job that succeeded with `result`, from its last known record (as the `completed` event
 * of the queue carries the result, a watcher needs no read).
 * @example succeededRecord(running, JSON.parse(returnvalue))
 */
export function succeededRecord(record: JobRecord, result: ResultData, finishedOn = result.finishedAt): JobRecord {
  const totalSteps = samplingSteps(record.input)
  return {
    ...record,
    progress: { step: totalSteps, total_steps: totalSteps },
    state: 'COMPLETED',
    queuePosition: 0,
    outcome: 'succeeded',
    images: result.images ?? (result.image ? [result.image] : []),
    timings: timingsOf(record.acceptedAt, result.startedAt, result.finishedAt ?? finishedOn, result.timings),
    finishedAt: result.finishedAt ?? finishedOn,
  }
}

/**
 * The completed record of a job that failed (or was cancelled) with `failure`, from its last known record.
 * @example failedRecord(running, failureOf(failedReason), Date.now())
 */
export function failedRecord(record: JobRecord, failure: FailureData, finishedOn: number): JobRecord {
  const finishedAt = failure.finishedAt ?? finishedOn
  const startedAt = failure.startedAt ?? finishedAt
  return {
    ...record,
    state: 'COMPLETED',
    queuePosition: 0,
    outcome: failure.error.kind === 'cancelled' ? 'cancelled' : 'failed',
    error: failure.error,
    timings: timingsOf(record.acceptedAt, startedAt, finishedAt, {
      inference_ms: finishedAt - startedAt,
      encode_ms: 0,
    }),
    finishedAt,
  }
}

const timingsOf = (
  acceptedAt: number,
  startedAt: number,
  finishedAt: number,
  worker: Pick<Timings, 'inference_ms' | 'encode_ms'>,
): Timings => ({
  queue_ms: round(startedAt - acceptedAt),
  inference_ms: round(worker.inference_ms),
  encode_ms: round(worker.encode_ms),
  total_ms: round(finishedAt - acceptedAt),
})

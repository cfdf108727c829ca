import type { Backend, BackendImage } from '../backend.js'
import { contentKey } from '../store/content-key.js'
import type { ImageStore } from '../store/image-store.js'
import type { LogLine, ResolvedGenerateRequest, Timings } from '../types.js'
import { isJobError, jobErrorOf, jobErrors } from './errors.js'
import type { JobError, JobImage } from './port.js'

/** What {@link runJob} needs: one job, where it runs, where its image goes. */
export interface RunJobOptions {
  /** The backend that paints the image. */
  backend: Backend
  /** Where the image bytes are put (the job record keeps only the key). */
  store: ImageStore
  /** The job: its request id (stable across attempts) and validated input. */
  job: { id: string; input: ResolvedGenerateRequest }
  /**
   * Aborts the run (cancel, drop). When its reason is a {@link JobError}, the run fails with that error; any other
   * reason ends it as cancelled.
   */
  signal?: AbortSignal
  /** Longest the backend may take before the run fails with 504. @default 60000 */
  timeoutMs?: number
  /** Called with each sampling step the backend reports. */
  onProgress?: (step: number, totalSteps: number) => void
  /** Called with each log line the backend writes. */
  onLog?: (line: LogLine) => void
  /** Called once when the run timed out, after the backend was aborted (a supervisor may restart a hung backend). */
  onTimeout?: () => void
  /** Clock in milliseconds for the store timing. @default performance.now */
  now?: () => number
}

/** What a successful run produced. */
export interface RunJobResult {
  /** The stored image (its bytes are in the store under `image.key`). */
  image: JobImage
  /** Backend time and encode + store time, in milliseconds. */
  timings: Pick<Timings, 'inference_ms' | 'encode_ms'>
}

const round = (ms: number): number => Math.round(ms * 10) / 10

/**
 * Runs one job on a backend: owns its timeout, stores the image, and maps every failure to a plain {@link JobError}
 * (thrown). The worker side of any queue: the embedded one calls it in-process, a Redis worker in another process.
 * @example
 * const { image } = await runJob({ backend, store, job: { id, input }, timeoutMs: 60_000 })
 */
export async function runJob(options: RunJobOptions): Promise<RunJobResult> {
  const { backend, store, job, signal, timeoutMs = 60_000, onProgress, onLog, onTimeout } = options
  const now = options.now ?? (() => performance.now())
  const controller = new AbortController()
  const onAbort = (): void => controller.abort(signal?.reason)
  if (signal?.aborted) throw abortError(signal.reason)
  signal?.addEventListener('abort', onAbort, { once: true })
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    controller.abort(jobErrors.timedOut(timeoutMs))
    onTimeout?.()
  }, timeoutMs)
  let result: BackendImage
  try {
    result = await backend.run({
      id: job.id,
      input: job.input,
      signal: controller.signal,
      reportProgress: (step, totalSteps) => onProgress?.(step, totalSteps),
      log: (message, level = 'INFO') => onLog?.({ message, level, timestamp: new Date().toISOString() }),
    })
    controller.signal.throwIfAborted()
  } catch (error) {
    if (timedOut) throw jobErrors.timedOut(timeoutMs)
    if (controller.signal.aborted) throw abortError(controller.signal.reason)
    throw jobErrorOf(error)
  } finally {
    clearTimeout(timer)
    signal?.removeEventListener('abort', onAbort)
  }
  const storeStart = now()
  try {
    const key = result.key ?? (await contentKey(result.bytes, result.contentType))
    await store.put(key, { bytes: result.bytes, contentType: result.contentType })
    const image: JobImage = {
      key,
      contentType: result.contentType,
      fileSize: result.bytes.byteLength,
      width: result.width,
      height: result.height,
    }
    return {
      image,
      timings: { inference_ms: round(result.inferenceMs), encode_ms: round(result.encodeMs + now() - storeStart) },
    }
  } catch (error) {
    throw jobErrorOf(error)
  }
}

/** A run aborted by its caller fails with the caller's {@link JobError}, or as cancelled. */
const abortError = (reason: unknown): JobError => (isJobError(reason) ? reason : jobErrors.cancelled())

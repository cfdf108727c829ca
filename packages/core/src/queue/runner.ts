import {
  type Backend,
  BackendError,
  type BackendImage,
  type BackendInputImage,
  type BackendJob,
  type BackendResult,
} from '../backend.js'
import { contentKey } from '../store/content-key.js'
import { type ImageStore, type StoredImage, sizeOf } from '../store/image-store.js'
import type { ImageContentType, InputImageRef, LogLine, ResolvedGenerateRequest, Timings } from '../types.js'
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
  /**
   * Instead of `signal`: the controller the caller aborts the run with, as above. The run aborts it on timeout too,
   * so one controller serves both (the embedded queue holds one per running job anyway).
   */
  controller?: AbortController
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
  /** The stored images, `input.num_images` of them in seed order (their bytes are in the store under each `key`). */
  images: JobImage[]
  /** Backend time and encode + store time, in milliseconds. */
  timings: Pick<Timings, 'inference_ms' | 'encode_ms'>
}

const round = (ms: number): number => Math.round(ms * 10) / 10

/**
 * Runs one job on a backend: reads an image-to-image input from the store, owns the timeout, stores every image, and
 * maps every failure to a plain {@link JobError} (thrown). The worker side of any queue: the embedded one calls it
 * in-process, a Redis worker in another process.
 * @example
 * const { images } = await runJob({ backend, store, job: { id, input }, timeoutMs: 60_000 })
 */
export async function runJob(options: RunJobOptions): Promise<RunJobResult> {
  const { backend, store, job, timeoutMs = 60_000, onProgress, onLog, onTimeout } = options
  const now = options.now ?? (() => performance.now())
  // With the caller's controller there is nothing to link: it is the run's.
  const signal = options.controller ? undefined : options.signal
  const controller = options.controller ?? new AbortController()
  const onAbort = (): void => controller.abort(signal?.reason)
  if (signal?.aborted) onAbort()
  else signal?.addEventListener('abort', onAbort, { once: true })
  if (controller.signal.aborted) throw abortError(controller.signal.reason)
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    controller.abort(jobErrors.timedOut(timeoutMs))
    onTimeout?.()
  }, timeoutMs)
  let result: BackendResult
  try {
    const inputImage = job.input.image ? await readInputImage(store, job.input.image) : undefined
    controller.signal.throwIfAborted()
    const backendJob: { -readonly [K in keyof BackendJob]: BackendJob[K] } = {
      id: job.id,
      input: job.input,
      signal: controller.signal,
      reportProgress: (step, totalSteps) => onProgress?.(step, totalSteps),
      log: (message, level = 'INFO') => onLog?.({ message, level, timestamp: new Date().toISOString() }),
    }
    // Set after the literal rather than spread into it, which builds the object on V8's slow path.
    if (inputImage) backendJob.inputImage = inputImage
    result = await backend.run(backendJob)
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
    if (result.images.length !== job.input.num_images) {
      throw new BackendError(
        'execution_failed',
        `the backend returned ${result.images.length} images for num_images ${job.input.num_images}`,
      )
    }
    const images: JobImage[] = []
    for (const image of result.images) {
      const key = image.key ?? (await contentKey(image.bytes, image.contentType))
      const byteLength = sizeOf(image)
      await store.put(key, new StoredBackendImage(image, byteLength))
      images.push({
        key,
        contentType: image.contentType,
        fileSize: byteLength,
        width: image.width,
        height: image.height,
      })
    }
    let inferenceMs = 0
    let encodeMs = 0
    for (const image of result.images) {
      inferenceMs = Math.max(inferenceMs, image.inferenceMs)
      encodeMs += image.encodeMs
    }
    return { images, timings: { inference_ms: round(inferenceMs), encode_ms: round(encodeMs + now() - storeStart) } }
  } catch (error) {
    throw jobErrorOf(error)
  }
}

/**
 * The store entry of a backend image: a getter, so that an image encoded on first read is encoded when someone reads
 * it from the store, if ever. Its own class so that the getter holds the image alone, not the run that made it (its
 * abort controller, signals and callbacks), for as long as the store keeps the entry; a class rather than an object
 * literal with a getter, which V8 builds on a slow path.
 */
class StoredBackendImage implements StoredImage {
  readonly contentType: ImageContentType
  readonly byteLength: number
  readonly #image: BackendImage

  constructor(image: BackendImage, byteLength: number) {
    this.contentType = image.contentType
    this.byteLength = byteLength
    this.#image = image
  }

  get bytes(): Uint8Array {
    return this.#image.bytes
  }
}

/** The bytes of an image-to-image input, from the store it was put in at submit; 422 when it is gone. */
async function readInputImage(store: ImageStore, image: InputImageRef): Promise<BackendInputImage> {
  const stored = await store.get(image.key)
  if (!stored) {
    throw new BackendError(
      'invalid_input',
      `the input image ${image.key} is no longer stored (it expired while the job waited); submit it again`,
    )
  }
  return { bytes: stored.bytes, contentType: stored.contentType, width: image.width, height: image.height }
}

/** A run aborted by its caller fails with the caller's {@link JobError}, or as cancelled. */
const abortError = (reason: unknown): JobError => (isJobError(reason) ? reason : jobErrors.cancelled())

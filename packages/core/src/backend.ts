import type { ImageContentType, ResolvedGenerateRequest } from './types.js'

/** What a backend is doing, as `GET /ready` reports it. */
export type BackendState = 'starting' | 'warming_up' | 'ready' | 'restarting' | 'stopped'

/** One generation handed to a {@link Backend}. */
export interface BackendJob {
  /** The queue request id; stable across resubmissions. */
  readonly id: string
  /** The validated request with defaults applied; `input.num_images` images are wanted, image `i` with seed `seed + i`. */
  readonly input: ResolvedGenerateRequest
  /** Image-to-image: the bytes of `input.image`, read from the image store by the runner. */
  readonly inputImage?: BackendInputImage
  /** Aborted when the job is cancelled or times out; the backend must stop work and reject. */
  readonly signal: AbortSignal
  /** Reports sampling progress (`step` of `totalSteps`, 0-based start allowed). */
  reportProgress(step: number, totalSteps: number): void
  /** Adds a line to the job's logs, shown in queue statuses. */
  log(message: string, level?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR'): void
}

/** The input picture of an image-to-image job, as the runner hands it to a backend. */
export interface BackendInputImage {
  /** The encoded bytes (PNG, JPEG or WebP, as sniffed at submit). */
  bytes: Uint8Array
  /** The encoding of `bytes`. */
  contentType: ImageContentType
  /** Width in pixels. */
  width: number
  /** Height in pixels. */
  height: number
}

/** What a backend returns for one job: `input.num_images` images, in seed order. */
export interface BackendResult {
  /** Image `i` was made with seed `input.seed + i`. */
  images: BackendImage[]
}

/** One encoded image a backend returns. */
export interface BackendImage {
  /** The encoded bytes; may be a getter that encodes them on first read, with {@link byteLength} set. */
  bytes: Uint8Array
  /** The length of `bytes` when known without reading them (an image encoded on first read). */
  byteLength?: number
  /** The encoding of `bytes`. */
  contentType: ImageContentType
  /** Width in pixels. */
  width: number
  /** Height in pixels. */
  height: number
  /** Milliseconds the backend spent generating (text encode, sampling, decode); images made together report the same. */
  inferenceMs: number
  /** Milliseconds the backend spent encoding the image. */
  encodeMs: number
  /**
   * The store key, when the backend knows one that is a pure function of the bytes (the synthetic backend derives
   * it from its inputs); the engine hashes the bytes when absent. Must match `^[A-Za-z0-9_-]{1,128}\.(png|jpeg|webp)$`.
   */
  key?: string
}

/**
 * A source of images: the synthetic painter, ComfyUI, or anything else.
 * The job engine owns ordering, cancel and timeouts; a backend only runs what it is given.
 */
export interface Backend {
  /** Short name reported by `/ready` and metrics, for example `synthetic` or `comfyui`. */
  readonly name: string
  /** How many jobs the engine may hand over at once (ComfyUI: 2, so its own queue never runs dry). @default 1 */
  readonly concurrency?: number
  /**
   * Registers `listener`, called when `concurrency` rose without a job ending (ComfyUI: a batch left the GPU), so
   * the queue hands over the next jobs at once; returns the function that removes it.
   * @example const off = backend.onCapacity?.(() => queue.pump())
   */
  onCapacity?(listener: () => void): () => void
  /** Current state; the server answers `/ready` with 200 only when this is `ready`. */
  state(): BackendState
  /** Starts the backend and warms it up; resolves when it can take jobs. */
  start?(): Promise<void>
  /**
   * Runs one job: `job.input.num_images` images, in seed order. Rejects with a {@link BackendError} on failure, or
   * with the signal's reason when aborted.
   */
  run(job: BackendJob): Promise<BackendResult>
  /** Stops the backend and releases its resources. */
  close?(): Promise<void>
}

/** Why a backend failed, which decides the HTTP status the caller sees. */
export type BackendErrorKind = 'execution_failed' | 'out_of_memory' | 'unavailable' | 'timeout' | 'invalid_input'

/**
 * A failure inside a backend, carrying the kind that maps to the API status:
 * `execution_failed`/`out_of_memory` → 502, `unavailable` → 503 (the job is retried), `timeout` → 504, `invalid_input` → 422.
 * @example throw new BackendError('out_of_memory', 'CUDA out of memory in node 13 (SamplerCustom)')
 */
export class BackendError extends Error {
  override readonly name = 'BackendError'
  /** The failure kind. */
  readonly kind: BackendErrorKind

  constructor(kind: BackendErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.kind = kind
  }
}

import type { Backend, BackendImage, BackendJob, BackendResult, BackendState } from '../backend.js'
import type { ImageContentType, OutputFormat, ResolvedGenerateRequest } from '../types.js'
import { samplingSteps } from '../validation/generate-request.js'
import {
  encodeJpeg,
  encodePng,
  encodeWebp,
  paintImageToImage,
  paintLatentScratch,
  pngByteLength,
} from './images/index.js'

/** Options of {@link createSyntheticBackend}. */
export interface SyntheticBackendOptions {
  /** Simulated time per sampling step, in ms. @default 0 */
  stepMs?: number
  /** Simulated fixed time per image (text encode + VAE decode), in ms. @default 0 */
  overheadMs?: number
  /** Jobs run at once. @default 1 */
  concurrency?: number
  /** JPEG quality (1–100). @default 90 */
  jpegQuality?: number
  /**
   * Awaited before each sampling step; tests use it to hold a job at a given step and release it when they choose.
   * @example beforeStep: (job, step) => gate.wait()
   */
  beforeStep?: (job: BackendJob, step: number) => Promise<void> | void
}

const contentTypes: Record<OutputFormat, ImageContentType> = {
  png: 'image/png',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
}

/** 64-bit FNV-1a of a string, as 16 hex digits (two 32-bit lanes with different offsets). */
const fnv64 = (text: string): string => {
  let low = 0x811c9dc5
  let high = 0xcbf29ce4
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index)
    low = Math.imul(low ^ code, 0x01000193) >>> 0
    high = Math.imul(high ^ code ^ (low >>> 24), 0x01000193) >>> 0
  }
  return high.toString(16).padStart(8, '0') + low.toString(16).padStart(8, '0')
}

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer)
      reject(signal.reason)
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal.addEventListener('abort', onAbort, { once: true })
  })

/** The latent grid of one image of a request with its own seed, valid until the next painting: read it at once. */
const latentOf = (input: ResolvedGenerateRequest, seed: number): Uint8Array =>
  input.image
    ? paintImageToImage(input.prompt, seed, input.width, input.height, input.image.key, input.strength ?? 1)
    : paintLatentScratch(input.prompt, seed, input.width, input.height)

/**
 * A PNG of the synthetic backend, encoded when its bytes are first read (it is a pure function of its inputs); its
 * length, which the API answers with, is fixed by its size (see `pngByteLength`). A class rather than an object
 * literal with a getter, which V8 builds on a slow path: one is made for every mocked PNG.
 */
class LazyPng implements BackendImage {
  readonly contentType = contentTypes.png
  readonly encodeMs = 0
  readonly key: string
  readonly width: number
  readonly height: number
  readonly byteLength: number
  readonly inferenceMs: number
  readonly #input: ResolvedGenerateRequest
  readonly #seed: number
  #bytes: Uint8Array | undefined

  constructor(key: string, input: ResolvedGenerateRequest, seed: number, inferenceMs: number) {
    this.key = key
    this.width = input.width
    this.height = input.height
    this.byteLength = pngByteLength(input.width, input.height)
    this.inferenceMs = inferenceMs
    this.#input = input
    this.#seed = seed
  }

  get bytes(): Uint8Array {
    this.#bytes ??= encodePng(latentOf(this.#input, this.#seed), this.width, this.height)
    return this.#bytes
  }
}

/** The store key of one image: its bytes are a pure function of these inputs, so a hash of them is a content address. */
const keyOf = (input: ResolvedGenerateRequest, seed: number, format: OutputFormat, jpegQuality: number): string => {
  const { prompt, width, height, image, strength = 1 } = input
  const identity = `${prompt}\u0000${seed}\u0000${width}\u0000${height}\u0000${format}\u0000${jpegQuality}`
  return `synthetic-${fnv64(image ? `${identity}\u0000${image.key}\u0000${strength}` : identity)}.${format}`
}

/**
 * Paints and encodes one image of a request with its own seed, `sampledMs` after its job started. A PNG is encoded
 * when its bytes are first read, if ever (see {@link LazyPng}): nothing is painted for it now.
 */
function paint(input: ResolvedGenerateRequest, seed: number, jpegQuality: number, sampledMs: number): BackendImage {
  const { width, height, output_format: format } = input
  if (format === 'png') return new LazyPng(keyOf(input, seed, format, jpegQuality), input, seed, sampledMs)
  const started = performance.now()
  const latent = latentOf(input, seed)
  const painted = performance.now()
  const bytes = format === 'jpeg' ? encodeJpeg(latent, width, height, jpegQuality) : encodeWebp(latent, width, height)
  return {
    key: keyOf(input, seed, format, jpegQuality),
    contentType: contentTypes[format],
    width,
    height,
    inferenceMs: sampledMs + painted - started,
    bytes,
    encodeMs: performance.now() - painted,
  }
}

/**
 * A backend that paints deterministic images with no GPU: the same prompt, seed, size and format always give the
 * same bytes, real PNG/JPEG/WebP files of the requested size, with step progress and controllable latency. Image `i`
 * of a `num_images` request is exactly the one-image request with seed `seed + i`; image-to-image blends a picture
 * standing for the input (see `paintImageToImage`) with the prompt's, by `strength`, and samples
 * `floor(strength × num_inference_steps)` steps, as SDXL Turbo does. A PNG comes with its `byteLength` and is
 * encoded when its `bytes` are first read: most mocked images are never fetched.
 * @example const backend = createSyntheticBackend({ stepMs: 25 })
 */
export function createSyntheticBackend(options: SyntheticBackendOptions = {}): Backend {
  const { stepMs = 0, overheadMs = 0, concurrency = 1, jpegQuality = 90, beforeStep } = options
  let state: BackendState = 'ready'
  return {
    name: 'synthetic',
    concurrency,
    state: () => state,
    async close() {
      state = 'stopped'
    },
    async run(job: BackendJob): Promise<BackendResult> {
      const { signal, input } = job
      const started = performance.now()
      const steps = samplingSteps(input)
      job.reportProgress(0, steps)
      // No timer, and no wait, for a time of 0 (the mocks' default) or a step nobody holds.
      if (overheadMs > 0) await sleep(overheadMs / 2, signal)
      for (let step = 1; step <= steps; step += 1) {
        signal.throwIfAborted()
        const held = beforeStep?.(job, step)
        if (held) await held
        signal.throwIfAborted()
        if (stepMs > 0) await sleep(stepMs, signal)
        job.reportProgress(step, steps)
      }
      if (overheadMs > 0) await sleep(overheadMs / 2, signal)
      signal.throwIfAborted()
      const sampledMs = performance.now() - started
      const images: BackendImage[] = []
      for (let index = 0; index < input.num_images; index += 1) {
        images.push(paint(input, input.seed + index, jpegQuality, sampledMs))
      }
      return { images }
    },
  }
}

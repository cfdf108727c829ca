import type { Backend, BackendImage, BackendJob, BackendState } from '../backend.js'
import type { ImageContentType, OutputFormat } from '../types.js'
import { encodeJpeg, encodePng, encodeWebp, paintLatent } from './images/index.js'

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
    if (ms <= 0) {
      resolve()
      return
    }
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

/**
 * A backend that paints deterministic images with no GPU: the same prompt, seed, size and format always give the
 * same bytes, real PNG/JPEG/WebP files of the requested size, with step progress and controllable latency.
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
    async run(job: BackendJob): Promise<BackendImage> {
      const { signal, input } = job
      const started = performance.now()
      const steps = input.num_inference_steps
      job.reportProgress(0, steps)
      await sleep(overheadMs / 2, signal)
      for (let step = 1; step <= steps; step += 1) {
        signal.throwIfAborted()
        await beforeStep?.(job, step)
        signal.throwIfAborted()
        await sleep(stepMs, signal)
        job.reportProgress(step, steps)
      }
      await sleep(overheadMs / 2, signal)
      signal.throwIfAborted()
      const painted = performance.now()
      const latent = paintLatent(input.prompt, input.seed, input.width, input.height)
      const bytes =
        input.output_format === 'jpeg'
          ? encodeJpeg(latent, input.width, input.height, jpegQuality)
          : input.output_format === 'webp'
            ? encodeWebp(latent, input.width, input.height)
            : encodePng(latent, input.width, input.height)
      const encoded = performance.now()
      // The bytes are a pure function of these inputs, so a hash of them is a content address.
      const identity = [input.prompt, input.seed, input.width, input.height, input.output_format, jpegQuality].join(
        '\u0000',
      )
      return {
        key: `synthetic-${fnv64(identity)}.${input.output_format}`,
        bytes,
        contentType: contentTypes[input.output_format],
        width: input.width,
        height: input.height,
        inferenceMs: painted - started,
        encodeMs: encoded - painted,
      }
    },
  }
}

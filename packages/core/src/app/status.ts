import { HttpProblem } from '../errors.js'
import type { JobImage, JobRecord } from '../queue/port.js'
import type { ImageStore } from '../store/image-store.js'
import type { GenerateResponse, QueueStatus, QueueSubmitResponse } from '../types.js'
import { toBase64 } from '../util/base64.js'

/** Absolute URLs of one queue request. */
export interface RequestUrls {
  status_url: string
  response_url: string
  cancel_url: string
}

/**
 * The queue URLs of a request under `base` (origin plus base path).
 * @example requestUrls('http://localhost:8787', 'abc').status_url // 'http://localhost:8787/queue/requests/abc/status'
 */
export function requestUrls(base: string, id: string): RequestUrls {
  const response_url = `${base}/queue/requests/${encodeURIComponent(id)}`
  return { status_url: `${response_url}/status`, response_url, cancel_url: `${response_url}/cancel` }
}

/** The body of `POST /queue/generate`. */
export function submitBody(job: JobRecord, urls: RequestUrls): QueueSubmitResponse {
  return { request_id: job.id, status: 'IN_QUEUE', queue_position: job.queuePosition, ...urls }
}

/** The queue status object of a job (fal's shape plus `progress`, `outcome` and `error`). */
export function statusBody(job: JobRecord, urls: RequestUrls, includeLogs: boolean): QueueStatus {
  const logs = includeLogs ? [...job.logs] : []
  const common = { request_id: job.id, response_url: urls.response_url }
  switch (job.state) {
    case 'IN_QUEUE':
      return { status: 'IN_QUEUE', ...common, queue_position: job.queuePosition }
    case 'IN_PROGRESS':
      return { status: 'IN_PROGRESS', ...common, progress: job.progress, logs }
    default:
      return {
        status: 'COMPLETED',
        ...common,
        logs,
        outcome: job.outcome ?? 'failed',
        ...(job.error ? { error: job.error.message } : {}),
        ...(job.timings ? { metrics: { inference_time: job.timings.inference_ms / 1000 } } : {}),
      }
  }
}

/**
 * The generate response of a succeeded job; `fileUrl` maps a store key to its public URL. A `sync_mode` job answers
 * with data URIs of the bytes read from `store` now (job records never hold bytes), so as a promise; 404 once the
 * store evicted them. Any other job answers at once, not as a promise. `image` is `images[0]`.
 */
export function resultBody(
  job: JobRecord,
  store: ImageStore,
  fileUrl: (key: string) => string,
): GenerateResponse | Promise<GenerateResponse> {
  const jobImages = job.images ?? []
  if (job.input.sync_mode) {
    return Promise.all(jobImages.map(async (image) => describe(image, await dataUri(job, image, store)))).then(
      (images) => withFirst(job, images),
    )
  }
  return withFirst(
    job,
    jobImages.map((image) => describe(image, fileUrl(image.key))),
  )
}

function describe(image: JobImage, url: string): GenerateResponse['image'] {
  return {
    url,
    content_type: image.contentType,
    file_name: image.key,
    file_size: image.fileSize,
    width: image.width,
    height: image.height,
  }
}

async function dataUri(job: JobRecord, image: JobImage, store: ImageStore): Promise<string> {
  const stored = await store.get(image.key)
  if (!stored) throw new HttpProblem(404, `The image of request ${job.id} is no longer stored; generate it again`)
  return `data:${image.contentType};base64,${toBase64(stored.bytes)}`
}

function withFirst(job: JobRecord, images: GenerateResponse['images']): GenerateResponse {
  const [first] = images
  if (!first) throw new HttpProblem(500, `Request ${job.id} succeeded without an image`)
  return { image: first, images, seed: job.input.seed, timings: job.timings! }
}

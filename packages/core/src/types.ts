import type { components } from './generated/openapi-types.js'

type Schemas = components['schemas']

/** A generate request body as a caller sends it: only `prompt` is required. */
export type GenerateRequest = Schemas['GenerateRequest']
/** The answer of `POST /generate` and of a completed queue request. */
export type GenerateResponse = Schemas['GenerateResponse']
/** The image part of a {@link GenerateResponse}. */
export type GeneratedImage = Schemas['Image']
/** Where the time of one generation went, in milliseconds. */
export type Timings = Schemas['Timings']
/** The answer of `POST /queue/generate`. */
export type QueueSubmitResponse = Schemas['QueueSubmitResponse']
/** One queue status object (`IN_QUEUE` | `IN_PROGRESS` | `COMPLETED`). */
export type QueueStatus = Schemas['QueueStatus']
/** The answer of `PUT /queue/requests/{id}/cancel`. */
export type CancelResponse = Schemas['CancelResponse']
/** The answer of `GET /ready`. */
export type Readiness = Schemas['Readiness']
/** One entry of a 422 body's `detail` array (FastAPI/pydantic shape). */
export type ValidationIssue = Schemas['ValidationIssue']
/** Step progress of a running generation. */
export type Progress = Schemas['Progress']
/** One log line of a queue status. */
export type LogLine = Schemas['LogLine']

/** The image encodings the API can return. */
export type OutputFormat = 'png' | 'jpeg' | 'webp'
/** The `content_type` of each {@link OutputFormat}. */
export type ImageContentType = 'image/png' | 'image/jpeg' | 'image/webp'

/** A validated generate request with every default applied and a seed chosen. */
export interface ResolvedGenerateRequest {
  prompt: string
  negative_prompt: string
  width: number
  height: number
  num_inference_steps: number
  seed: number
  output_format: OutputFormat
  sync_mode: boolean
  /** The deployment's extra inputs (`createApp`'s `extraInputs`), defaults applied; absent when it declares none. */
  extra?: Record<string, string | number | boolean>
  /** Images to make, 1–4; image `i` uses seed `seed + i`. */
  num_images: number
  /** Image-to-image: the input picture, already decoded and put in the image store at submit. */
  image?: InputImageRef
  /** Image-to-image: how far to move away from `image` (0 < s ≤ 1); present exactly when `image` is. */
  strength?: number
}

/** The input picture of an image-to-image request: its store key and header facts (job records never hold bytes). */
export interface InputImageRef {
  /** The image store key (content-addressed, `<hash>.<ext>`). */
  key: string
  /** The sniffed format (never the caller's declared one). */
  content_type: ImageContentType
  /** Width in pixels, read from the file header. */
  width: number
  /** Height in pixels, read from the file header. */
  height: number
}

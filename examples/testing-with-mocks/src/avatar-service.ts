import {
  type GenimageClient,
  isApiError,
  isConnectionError,
  isTimeoutError,
  isUserAbortError,
  RateLimitError,
  ServiceUnavailableError,
  ValidationError,
} from '@genimage/client'

/**
 * What the avatar screen shows: an image, or a reason it can act on (a message, which field to fix, when to retry).
 * @example if (!result.ok && result.reason === 'busy') retryLater(result.retryAfter)
 */
export type AvatarResult =
  | { ok: true; url: string; width: number; height: number; seed: number }
  | {
      ok: false
      /** `invalid`: fix a field; `busy`: retry after `retryAfter` s; `failed`: retry later; `offline`: check the network. */
      reason: 'invalid' | 'busy' | 'failed' | 'timeout' | 'offline' | 'cancelled'
      /** A sentence for the user. */
      message: string
      /** The request field the server rejected, when `reason` is `invalid`. */
      field?: string
      /** Seconds to wait before retrying, when the server said. */
      retryAfter?: number
    }

/**
 * How to draw an avatar.
 * @example { name: 'Ada', style: 'watercolor', size: 256 }
 */
export interface AvatarRequest {
  /** Whose avatar: goes into the prompt. */
  name: string
  /**
   * The look.
   * @default 'flat illustration'
   */
  style?: string
  /**
   * Side of the square image in px (a multiple of 8 from 256 to 1024).
   * @default 256
   */
  size?: number
  /**
   * Sampling steps (1–4): more is slower and finer.
   * @default 2
   */
  steps?: number
}

/**
 * Per-call options of {@link AvatarService.create}.
 * @example { signal: controller.signal, onProgress: (done) => bar.set(done) }
 */
export interface AvatarCallOptions {
  /** Cancels the generation (the server job too). */
  signal?: AbortSignal
  /** Called with the finished fraction (0 to 1) as the server reports steps. */
  onProgress?: (fraction: number) => void
  /**
   * Longest wait in ms, queue included.
   * @default 60_000
   */
  timeoutMs?: number
}

/**
 * The avatar feature of an app, over a genimage client.
 * @example const result = await avatars.create({ name: 'Ada' })
 */
export interface AvatarService {
  /** Generates an avatar; never throws for API failures, it returns a result the UI can show. */
  create(request: AvatarRequest, options?: AvatarCallOptions): Promise<AvatarResult>
}

/**
 * Maps any failure of a generation to what the user sees; rethrows what is not an API failure (a bug).
 * @example toAvatarFailure(new RateLimitError(…)) // { ok: false, reason: 'busy', retryAfter: 30, message: '…' }
 */
export function toAvatarFailure(error: unknown): Extract<AvatarResult, { ok: false }> {
  if (error instanceof ValidationError) {
    const issue = error.issues[0]
    const field = issue ? issue.loc.slice(1).join('.') : undefined
    return {
      ok: false,
      reason: 'invalid',
      field,
      message: `Please check ${field ?? 'the request'}: ${issue?.msg ?? error.detail}`,
    }
  }
  if (error instanceof RateLimitError || error instanceof ServiceUnavailableError) {
    const retryAfter = error.retryAfter
    const when = retryAfter === undefined ? 'in a moment' : `in ${retryAfter} s`
    return {
      ok: false,
      reason: 'busy',
      retryAfter,
      message: `Lots of people are making avatars right now. Try again ${when}.`,
    }
  }
  if (isUserAbortError(error)) return { ok: false, reason: 'cancelled', message: 'Cancelled.' }
  if (isTimeoutError(error))
    return { ok: false, reason: 'timeout', message: 'This is taking too long. Please try again.' }
  if (isConnectionError(error))
    return { ok: false, reason: 'offline', message: 'Cannot reach the avatar service. Are you online?' }
  if (isApiError(error)) {
    return {
      ok: false,
      reason: 'failed',
      message: `Something went wrong on our side (error ${error.status}). Please try again.`,
    }
  }
  throw error
}

/**
 * Creates the avatar service over a genimage client (a real one in production, one pointed at the mocks in tests).
 * @example const avatars = createAvatarService(createClient({ baseUrl: 'https://genimage.example.com' }))
 */
export function createAvatarService(client: GenimageClient): AvatarService {
  return {
    async create({ name, style = 'flat illustration', size = 256, steps = 2 }, options = {}) {
      try {
        const result = await client.subscribe(
          {
            prompt: `avatar portrait of ${name}, ${style}, centered, plain background`,
            negative_prompt: 'text, watermark, blurry',
            width: size,
            height: size,
            num_inference_steps: steps,
          },
          {
            signal: options.signal,
            timeout: options.timeoutMs ?? 60_000,
            onProgress: ({ step, total_steps }) => options.onProgress?.(step / total_steps),
          },
        )
        const { url, width, height } = result.image
        return { ok: true, url, width, height, seed: result.seed }
      } catch (error) {
        return toAvatarFailure(error)
      }
    },
  }
}

import { GenimageError } from './errors/genimage-error.js'
import { type ClientOptions, resolveOptions } from './options.js'
import { createQueue, type QueueClient } from './queue.js'
import { type PostOptions, request } from './request.js'
import { isBrowser } from './runtime.js'
import { type SubscribeOptions, subscribe } from './subscribe.js'
import type { GenerateRequest, GenerateResponse, WithRequestId } from './types.js'

/**
 * A configured genimage client. Every method takes an `AbortSignal` and rejects with a typed error.
 * @example const { image } = await client.generate({ prompt: 'a lighthouse at dawn, watercolor' })
 */
export interface GenimageClient {
  /**
   * Generates an image and waits for it (`POST /generate`); with `num_images` the answer's `images` holds them all
   * (`image` is the first), with `image_url` it starts from that picture. Retried safely: every attempt sends the
   * same `Idempotency-Key`, so the server generates once.
   * @example const { image, seed, requestId } = await client.generate({ prompt: 'a red fox in the snow', seed: 42 })
   * @example const { images } = await client.generate({ prompt: 'a red fox', num_images: 4 }) // seeds seed … seed + 3
   */
  generate(input: GenerateRequest, options?: PostOptions): Promise<WithRequestId<GenerateResponse>>
  /** The queue API: submit, status, result, cancel. */
  queue: QueueClient
  /**
   * Submits to the queue, follows the status with progress callbacks (server-sent events, or polling) and resolves
   * with the result. Aborting, or running out of time, cancels the remote request.
   * @example await client.subscribe({ prompt: 'a fox' }, { onProgress: (p) => console.log(p.step, '/', p.total_steps) })
   */
  subscribe(input: GenerateRequest, options?: SubscribeOptions): Promise<WithRequestId<GenerateResponse>>
}

/**
 * Creates a client for a genimage server. Checks the options at once and throws a `TypeError` naming a bad one.
 * Throws in a browser when `apiKey` is set, unless `dangerouslyAllowBrowser` is: use `proxyUrl` there.
 * @example const client = createClient({ baseUrl: 'http://localhost:8787' })
 */
export function createClient(options: ClientOptions): GenimageClient {
  const config = resolveOptions(options)
  if (config.apiKey && options.dangerouslyAllowBrowser !== true && isBrowser()) {
    throw new GenimageError(
      'genimage: refusing to use `apiKey` in a browser, where every visitor can read it. Keep the key on your server ' +
        'and pass `proxyUrl` (a route that adds it), or set `dangerouslyAllowBrowser: true` if you accept the risk.',
    )
  }
  const queue = createQueue(config)
  return {
    generate: (input, callOptions) => request(config, { method: 'POST', path: '/generate', body: input }, callOptions),
    queue,
    subscribe: (input, callOptions) => subscribe(config, queue, input, callOptions),
  }
}

import { TimeoutError } from './errors/timeout-error.js'
import { UserAbortError } from './errors/user-abort-error.js'
import { invalid } from './invalid.js'
import type { Config } from './options.js'
import type { QueueClient } from './queue.js'
import { prepare, send } from './request.js'
import { readEvents } from './sse.js'
import { abortable, linkSignals, resolveTimeouts, sleep, timer } from './timeout.js'
import type { GenerateRequest, GenerateResponse, Progress, QueueStatus, WithRequestId } from './types.js'

/**
 * Options of `subscribe`.
 * @example { onProgress: ({ step, total_steps }) => bar.update(step / total_steps), signal: controller.signal }
 */
export interface SubscribeOptions {
  /** Aborts the subscription: the remote request is cancelled (best effort) and the call rejects with `UserAbortError`. */
  signal?: AbortSignal
  /**
   * Limit for the whole subscription in ms (queue wait included); when hit, the remote request is cancelled (best
   * effort) and the call rejects with a `TimeoutError` of kind `total`. `0` or `false` waits forever.
   * @default the client's `timeout.total` (180_000)
   */
  timeout?: number | false
  /** Headers for each call of the subscription. */
  headers?: HeadersInit
  /**
   * The submit's `Idempotency-Key`, or `false` to send none (the submit is then never retried).
   * @default crypto.randomUUID()
   */
  idempotencyKey?: string | false
  /**
   * How to follow the status: `stream` reads `/status/stream` (server-sent events) and falls back to polling when the
   * stream fails or the runtime cannot stream response bodies; `poll` only polls. fal's names, `streaming` and
   * `polling`, mean the same.
   * @default 'stream'
   */
  mode?: 'stream' | 'poll' | 'streaming' | 'polling'
  /**
   * Wait between two status polls, in ms.
   * @default 250
   */
  pollInterval?: number
  /** Called once the request is queued, with its queue `request_id` (keep it to fetch the result later). */
  onEnqueue?: (requestId: string) => void
  /** Called with every status the server reports. */
  onQueueUpdate?: (status: QueueStatus) => void
  /** Called with the step progress of each `IN_PROGRESS` status. */
  onProgress?: (progress: Progress) => void
}

/** fal's names of the modes. */
const fromFalMode: Record<string, 'stream' | 'poll'> = { streaming: 'stream', polling: 'poll' }

/**
 * The statuses of `/status/stream`, through the client's hooks (one attempt); ends early (without throwing) when the
 * stream cannot be used, unless aborted. What a hook throws rejects as it is.
 */
async function* streamStatuses(config: Config, requestId: string, signal: AbortSignal, headers?: HeadersInit) {
  const call = prepare(config, 'GET', `/queue/requests/${encodeURIComponent(requestId)}/status/stream`, headers)
  call.headers.set('accept', 'text/event-stream')
  // The attempt limit bounds the wait for the response headers, then the silence between two chunks (the server
  // sends a `: ping` comment every 15 s).
  const connect = timer(config.timeouts.attempt)
  const connecting = linkSignals([signal, connect.signal])
  // Aborting the fetch, not only cancelling its body, is what ends a response in every runtime (happy-dom included).
  const request = new AbortController()
  const end = () => request.abort()
  connecting.signal.addEventListener('abort', end)
  try {
    const sent = await send(config, call, 1, { signal: request.signal }).finally(() => {
      connecting.signal.removeEventListener('abort', end)
      connect.clear()
      connecting.unlink()
    })
    if (signal.aborted) throw signal.reason
    if ('lost' in sent || sent.retry) return
    const { response } = sent
    if (!response.ok || typeof response.body?.getReader !== 'function') return
    try {
      for await (const event of readEvents(response.body, signal, config.timeouts.attempt, end)) {
        if (event.event === 'status' || event.event === 'message') yield JSON.parse(event.data) as QueueStatus
      }
    } catch (error) {
      if (signal.aborted) throw error
    }
  } finally {
    end()
  }
}

/**
 * Submits a generation, follows its status (stream or polling) and resolves with the result.
 * Aborting or timing out cancels the remote request, best effort.
 */
export async function subscribe(
  config: Config,
  queue: QueueClient,
  input: GenerateRequest,
  options: SubscribeOptions = {},
): Promise<WithRequestId<GenerateResponse>> {
  const { signal, headers, pollInterval = 250, onEnqueue, onQueueUpdate, onProgress } = options
  const mode = fromFalMode[options.mode as string] ?? options.mode ?? 'stream'
  if (mode !== 'stream' && mode !== 'poll') throw invalid('mode', "'stream' or 'poll'", options.mode)
  if (typeof pollInterval !== 'number' || !(pollInterval >= 0))
    throw invalid('pollInterval', 'a number of ms ≥ 0', pollInterval)
  const limit = resolveTimeouts(options.timeout, { attempt: 0, total: config.timeouts.total }, 'timeout').total
  const deadline = timer(limit)
  const link = linkSignals([signal, deadline.signal])
  const inner = { signal: link.signal, headers }
  let requestId: string | undefined
  try {
    // The submit is not aborted with the caller's signal: the server may accept the job anyway, and only the answer
    // tells which job to cancel. The caller still gets control back at once.
    link.signal.throwIfAborted()
    const submitting = queue.submit(input, { headers, idempotencyKey: options.idempotencyKey })
    const submitted = await abortable(submitting, link.signal).catch((error: unknown) => {
      if (link.signal.aborted) {
        submitting.then((late) => queue.cancel(late.request_id, { headers })).catch(() => {})
      }
      throw error
    })
    requestId = submitted.request_id
    onEnqueue?.(requestId)
    let status: QueueStatus | undefined
    const update = (next: QueueStatus) => {
      status = next
      onQueueUpdate?.(next)
      if (next.status === 'IN_PROGRESS') onProgress?.(next.progress)
    }
    if (mode === 'stream') {
      for await (const next of streamStatuses(config, requestId, link.signal, headers)) {
        update(next)
        if (next.status === 'COMPLETED') break
      }
    }
    while (status?.status !== 'COMPLETED') {
      if (status) await sleep(pollInterval, link.signal)
      update(await queue.status(requestId, inner))
    }
    return await queue.result(requestId, inner)
  } catch (error) {
    if (!link.signal.aborted) throw error
    if (requestId !== undefined) queue.cancel(requestId, { headers }).catch(() => {})
    if (signal?.aborted) throw new UserAbortError(signal.reason)
    throw new TimeoutError('total', limit, requestId ? `subscribe ${requestId}` : 'subscribe')
  } finally {
    deadline.clear()
    link.unlink()
  }
}

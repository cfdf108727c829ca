/**
 * ComfyUI's HTTP routes, typed, each call with a timeout.
 * @module
 */
import { ComfyConnectionError, ComfyHttpError, ComfyPromptRejectedError } from './errors.js'
import type { ComfyGraph, HistoryEntry, NodeInfo, PromptAccepted, QueueState } from './protocol.js'

/** Options of {@link ComfyHttp}. */
export interface ComfyHttpOptions {
  /** ComfyUI's base URL. @example 'http://127.0.0.1:8188' */
  baseUrl: string
  /** Milliseconds one call may take. @default 10000 */
  timeoutMs?: number
  /** `fetch` to use, resolved per call. @default globalThis.fetch */
  fetch?: typeof fetch
}

/** Body of `POST /prompt`. */
export interface PromptRequest {
  prompt: ComfyGraph
  client_id: string
  prompt_id: string
  extra_data?: Record<string, unknown>
}

/** Typed calls to ComfyUI's HTTP API. */
export class ComfyHttp {
  /** ComfyUI's base URL, without a trailing slash. */
  readonly baseUrl: string
  private readonly timeoutMs: number
  private readonly fetchImpl: typeof fetch | undefined

  constructor(options: ComfyHttpOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '')
    this.timeoutMs = options.timeoutMs ?? 10_000
    this.fetchImpl = options.fetch
  }

  /**
   * Sends one request; non-2xx answers throw {@link ComfyHttpError}, network failures {@link ComfyConnectionError}.
   * @example
   * const stats = await http.request('GET', '/system_stats')
   */
  async request(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    options: { timeoutMs?: number; signal?: AbortSignal } = {},
  ): Promise<Response> {
    const timeout = AbortSignal.timeout(options.timeoutMs ?? this.timeoutMs)
    const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout
    const fetchImpl = this.fetchImpl ?? globalThis.fetch
    let response: Response
    try {
      response = await fetchImpl(`${this.baseUrl}${path}`, {
        method,
        signal,
        ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
      })
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason
      const reason = timeout.aborted ? `no answer in ${options.timeoutMs ?? this.timeoutMs} ms` : causeOf(error)
      throw new ComfyConnectionError(`ComfyUI ${method} ${path}: ${reason}`, { cause: error })
    }
    if (!response.ok) {
      const text = await response.text().catch(() => '')
      let parsed: unknown = text
      try {
        parsed = JSON.parse(text)
      } catch {
        // keep the text
      }
      throw new ComfyHttpError(
        response.status,
        parsed,
        `ComfyUI ${method} ${path}: HTTP ${response.status} ${text.slice(0, 200)}`,
      )
    }
    return response
  }

  private async json<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const response = await this.request(method, path, body)
    try {
      return (await response.json()) as T
    } catch (error) {
      throw new ComfyConnectionError(`ComfyUI ${method} ${path}: unreadable answer`, { cause: error })
    }
  }

  private async discard(method: 'GET' | 'POST', path: string, body?: unknown): Promise<void> {
    const response = await this.request(method, path, body)
    await response.arrayBuffer().catch(() => undefined)
  }

  /**
   * `POST /prompt`. A 400, or a 200 with non-empty `node_errors`, throws {@link ComfyPromptRejectedError}.
   * @example
   * await http.submitPrompt({ prompt: graph, client_id: clientId, prompt_id: randomUUID() })
   */
  async submitPrompt(request: PromptRequest): Promise<PromptAccepted> {
    let accepted: PromptAccepted
    try {
      accepted = await this.json<PromptAccepted>('POST', '/prompt', request)
    } catch (error) {
      if (error instanceof ComfyHttpError && error.status === 400 && typeof error.body === 'object' && error.body) {
        const body = error.body as {
          error?: ComfyPromptRejectedError['error']
          node_errors?: PromptAccepted['node_errors']
        }
        throw new ComfyPromptRejectedError(body.error, body.node_errors ?? {})
      }
      throw error
    }
    if (accepted.node_errors && Object.keys(accepted.node_errors).length > 0) {
      throw new ComfyPromptRejectedError(undefined, accepted.node_errors)
    }
    return accepted
  }

  /** `GET /queue`. */
  getQueue(): Promise<QueueState> {
    return this.json('GET', '/queue')
  }

  /** `POST /queue {delete}`: removes pending prompts (running ones are untouched). */
  deleteFromQueue(promptIds: readonly string[]): Promise<void> {
    return this.discard('POST', '/queue', { delete: promptIds })
  }

  /** `POST /interrupt`: with an id, interrupts that prompt only if it is the running one; without, whatever runs. */
  interrupt(promptId?: string): Promise<void> {
    return this.discard('POST', '/interrupt', promptId ? { prompt_id: promptId } : {})
  }

  /** `GET /history/{id}`: the entry, or undefined while queued, running or unknown. */
  async getHistory(promptId: string): Promise<HistoryEntry | undefined> {
    const all = await this.json<Record<string, HistoryEntry>>('GET', `/history/${encodeURIComponent(promptId)}`)
    return all[promptId]
  }

  /** `POST /history {delete}`. */
  deleteHistory(promptIds: readonly string[]): Promise<void> {
    return this.discard('POST', '/history', { delete: promptIds })
  }

  /** `GET /object_info/{class}`: the class, or undefined when ComfyUI does not have it. */
  async getNodeInfo(className: string): Promise<NodeInfo | undefined> {
    const all = await this.json<Record<string, NodeInfo>>('GET', `/object_info/${encodeURIComponent(className)}`)
    return all[className]
  }

  /** `GET /object_info`: every class (heavy: ComfyUI walks its model folders). */
  getObjectInfo(): Promise<Record<string, NodeInfo>> {
    return this.json('GET', '/object_info')
  }

  /** `GET /system_stats`: versions and VRAM; a cheap liveness probe. */
  getSystemStats(): Promise<{ system: Record<string, unknown>; devices: Record<string, unknown>[] }> {
    return this.json('GET', '/system_stats')
  }

  /** `GET /view`: a file ComfyUI wrote. */
  async view(file: {
    filename: string
    subfolder: string
    type: string
  }): Promise<{ bytes: Uint8Array; contentType: string }> {
    const query = new URLSearchParams({ filename: file.filename, subfolder: file.subfolder, type: file.type })
    const response = await this.request('GET', `/view?${query}`)
    const bytes = new Uint8Array(await response.arrayBuffer())
    return { bytes, contentType: response.headers.get('content-type') ?? 'application/octet-stream' }
  }
}

function causeOf(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause
  return cause?.code ?? cause?.message ?? (error as Error)?.message ?? String(error)
}

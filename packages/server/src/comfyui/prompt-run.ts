/**
 * One prompt's life inside ComfyUI, from submission to image: follows its WebSocket events, and when they may have
 * been lost (reconnect, silence, restart) asks `/queue` then `/history` what happened, and resubmits a lost prompt
 * under a fresh id. Each attempt has its own prompt id, so late events of an abandoned attempt cannot be mistaken.
 * @module
 */
import { randomUUID } from 'node:crypto'
import {
  ComfyExecutionError,
  ComfyInterruptedError,
  ComfyPromptRejectedError,
  ComfyUnavailableError,
} from './errors.js'
import type { ComfyHttp } from './http.js'
import type {
  BinaryFrame,
  ComfyGraph,
  ComfyMessage,
  ExecutionErrorData,
  ExecutionInterruptedData,
  HistoryEntry,
} from './protocol.js'

/** Options of one {@link ComfyClient.run}. */
export interface RunOptions {
  /** Id of the node whose image is the result (its frames or its history `images`). */
  outputNode: string
  /**
   * Images the prompt makes (a batched prompt: one per request, told apart by the frame's `index`); the run
   * settles with all of them. @default 1
   */
  images?: number
  /** Aborting deletes the prompt from ComfyUI's queue, or interrupts it if it runs, and rejects with the reason. */
  signal?: AbortSignal
  /** Progress of every node but the output node (the sampler: `value` of `max` steps). */
  onProgress?(value: number, max: number, nodeId: string): void
  /** ComfyUI started executing node `nodeId` of the prompt (the output node: the GPU work is done). */
  onNode?(nodeId: string): void
  /** Notable moments (queued, running, resubmitted), for the job's log. */
  onLog?(message: string, level: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR'): void
  /**
   * The prompt's `extra_data` (sent with every submission of it; ComfyUI keeps it with the prompt for its nodes).
   * @example { genimage_graphs: 'replay' }
   */
  extraData?: Record<string, unknown>
}

/** One image of a run. */
export interface ComfyImage {
  /** The encoded image. */
  bytes: Uint8Array
  /** Its MIME type. */
  contentType: string
  /** Metadata of the frame that carried it (our output node: width, height, index, encode_ms, …). */
  metadata?: Record<string, unknown>
}

/** What a successful run gives back. */
export interface ComfyRunResult {
  /** The encoded image. */
  bytes: Uint8Array
  /** Its MIME type. */
  contentType: string
  /** Metadata of the frame that carried it (our output node: width, height, encode_ms, …). */
  metadata?: Record<string, unknown>
  /** Prompt id of the attempt that produced it. */
  promptId: string
  /** Submissions it took (1 unless the prompt was lost and resubmitted). */
  attempts: number
  /** Milliseconds from the start of execution (as seen here) to the image (the last image of a batch). */
  executionMs: number
  /** Every image, in `index` order (`images` of the run's options; the first is also `bytes` above). */
  images: ComfyImage[]
}

/** Where a prompt is. */
export type RunPhase = 'waiting' | 'submitting' | 'queued' | 'running' | 'settled'

/** What a run needs from the client that owns it. */
export interface RunHost {
  readonly http: ComfyHttp
  readonly clientId: string
  readonly maxAttempts: number
  isSocketOpen(): boolean
  whenOpen(signal?: AbortSignal): Promise<void>
  register(promptId: string, run: PromptRun): void
  unregister(promptId: string): void
  /** The run settled: forget its history entries. */
  cleanup(promptIds: readonly string[]): void
  /** The run was cancelled: take its prompt out of ComfyUI (dequeue or interrupt) and clean up later. */
  abandon(promptId: string, phase: RunPhase, otherIds: readonly string[]): void
  /** ComfyUI finished this prompt without a word on an open socket: the socket needs replacing. */
  socketLooksDeaf(promptId: string): void
  log(message: string, level: 'debug' | 'info' | 'warn' | 'error'): void
}

type Image = { frame: Extract<BinaryFrame, { kind: 'image' }>; at: number }

/** One prompt, possibly over several attempts. */
export class PromptRun {
  /** Prompt id of the current attempt ('' before the first). */
  promptId = ''
  /** Where the prompt is. */
  phase: RunPhase = 'waiting'
  /** When anything last happened to it (event, submission, check). */
  lastActivity = Date.now()
  /** Resolves with the image, rejects with a Comfy*Error or the abort reason. */
  readonly promise: Promise<ComfyRunResult>

  private readonly attemptIds: string[] = []
  private submitInFlight = false
  private readonly images = new Map<number, Image>()
  private failure: ExecutionErrorData | undefined
  private interrupted: ExecutionInterruptedData | undefined
  private startedAt: number | undefined
  private submittedAt = Date.now()
  private sawHistoryWithoutImage = false
  private resolvePromise!: (result: ComfyRunResult) => void
  private rejectPromise!: (error: unknown) => void

  constructor(
    private readonly host: RunHost,
    private readonly graph: ComfyGraph,
    private readonly options: RunOptions,
  ) {
    this.promise = new Promise<ComfyRunResult>((resolve, reject) => {
      this.resolvePromise = resolve
      this.rejectPromise = reject
    })
  }

  /** Waits for the socket, then submits. */
  async start(): Promise<void> {
    const { signal } = this.options
    if (signal?.aborted) return this.settle({ error: signal.reason })
    signal?.addEventListener('abort', () => this.cancel(), { once: true })
    try {
      await this.host.whenOpen(signal)
    } catch (error) {
      if (this.phase !== 'settled') this.settle({ error })
      return
    }
    await this.submit()
  }

  /** A JSON message for the current attempt. */
  onMessage(message: ComfyMessage): void {
    if (this.phase === 'settled') return
    this.lastActivity = Date.now()
    switch (message.type) {
      case 'execution_start':
        this.markRunning()
        break
      case 'executing':
        if (message.data.node === null) void this.finish()
        else {
          this.markRunning()
          this.options.onNode?.(message.data.node)
        }
        break
      case 'progress':
        this.markRunning()
        if (message.data.node !== this.options.outputNode) {
          this.options.onProgress?.(message.data.value, message.data.max, message.data.node ?? '')
        }
        break
      case 'execution_error':
        this.failure = message.data
        break
      case 'execution_interrupted':
        this.interrupted = message.data
        break
      default:
        break
    }
  }

  /** An image frame for the current attempt (`nodeId` known or inferred). */
  onFrame(frame: Extract<BinaryFrame, { kind: 'image' }>): void {
    if (this.phase === 'settled') return
    this.lastActivity = Date.now()
    if (frame.nodeId !== undefined && frame.nodeId !== this.options.outputNode) return
    const index = typeof frame.metadata?.['index'] === 'number' ? frame.metadata['index'] : this.images.size
    if (!this.images.has(index)) this.images.set(index, { frame, at: Date.now() })
  }

  /**
   * Finds out what happened to the prompt when its events may have been lost: running or pending in `/queue` →
   * keep waiting; in `/history` → finish from it; in neither → resubmit.
   */
  async reconcile(reason: 'reconnect' | 'watchdog'): Promise<void> {
    if (this.phase === 'settled' || this.phase === 'waiting' || this.submitInFlight) return
    const id = this.promptId
    this.lastActivity = Date.now()
    let entry: HistoryEntry | undefined
    try {
      const queue = await this.host.http.getQueue()
      if (this.stale(id)) return
      if (queue.queue_running.some((item) => item[1] === id)) return this.markRunning()
      if (queue.queue_pending.some((item) => item[1] === id)) {
        this.phase = 'queued'
        return
      }
      entry = await this.host.http.getHistory(id)
    } catch (error) {
      this.host.log(`reconcile ${id}: ${(error as Error).message}`, 'debug')
      return
    }
    if (this.stale(id)) return
    if (!entry) return this.resubmit(`${id} is neither queued nor in history (${reason})`)
    const ended = this.complete() || this.failure || this.interrupted
    if (!ended && reason === 'watchdog' && this.host.isSocketOpen()) {
      // Finished, but its last messages may still be on the way: look again next time. Still nothing then: the
      // socket is deaf; the reconnect that fixes it reconciles this prompt again.
      if (this.sawHistoryWithoutImage) this.host.socketLooksDeaf(id)
      this.sawHistoryWithoutImage = true
      return
    }
    await this.fromHistory(entry)
  }

  /** Rejects from outside (ComfyUI gone for too long, client closing). */
  fail(error: unknown): void {
    if (this.phase !== 'settled') this.settle({ error })
  }

  private stale(id: string): boolean {
    return this.phase === 'settled' || this.promptId !== id
  }

  private markRunning(): void {
    if (this.phase === 'settled') return
    if (this.phase !== 'running') this.options.onLog?.(`ComfyUI started prompt ${this.promptId}`, 'DEBUG')
    this.phase = 'running'
    this.startedAt ??= Date.now()
  }

  private async submit(): Promise<void> {
    if (this.phase === 'settled') return
    if (this.attemptIds.length >= this.host.maxAttempts) {
      return this.settle({
        error: new ComfyUnavailableError(`ComfyUI lost the prompt ${this.attemptIds.length} times; giving up`),
      })
    }
    const id = randomUUID()
    if (this.promptId) this.host.unregister(this.promptId)
    this.promptId = id
    this.attemptIds.push(id)
    this.host.register(id, this)
    this.images.clear()
    this.failure = undefined
    this.interrupted = undefined
    this.startedAt = undefined
    this.sawHistoryWithoutImage = false
    this.phase = 'submitting'
    this.submitInFlight = true
    this.submittedAt = Date.now()
    this.lastActivity = Date.now()
    try {
      const { extraData } = this.options
      await this.host.http.submitPrompt({
        prompt: this.graph,
        client_id: this.host.clientId,
        prompt_id: id,
        ...(extraData ? { extra_data: extraData } : {}),
      })
      if (this.promptId === id && this.phase === 'submitting') this.phase = 'queued'
      this.options.onLog?.(`queued in ComfyUI as prompt ${id}`, 'DEBUG')
    } catch (error) {
      if (this.stale(id)) return
      if (error instanceof ComfyPromptRejectedError) return this.settle({ error })
      // Unknown whether it was queued; the next reconcile (watchdog or reconnect) finds out.
      this.host.log(`submitting ${id} failed: ${(error as Error).message}`, 'warn')
    } finally {
      if (this.promptId === id) {
        this.submitInFlight = false
        this.lastActivity = Date.now()
      }
    }
  }

  private async resubmit(why: string): Promise<void> {
    if (this.phase === 'settled') return
    this.host.log(`resubmitting: ${why}`, 'warn')
    this.options.onLog?.(`resubmitting to ComfyUI: ${why}`, 'WARN')
    await this.submit()
  }

  /** `executing {node: null}` for the current attempt: ComfyUI is done with it and its history is written. */
  private async finish(): Promise<void> {
    if (this.phase === 'settled') return
    if (this.failure) return this.settle({ error: new ComfyExecutionError(this.failure) })
    if (this.interrupted) return this.settle({ error: new ComfyInterruptedError(this.interrupted) })
    if (this.complete()) return this.settle({ images: this.sortedImages() })
    const id = this.promptId
    let entry: HistoryEntry | undefined
    try {
      entry = await this.host.http.getHistory(id)
    } catch {
      return // the watchdog will look again
    }
    if (this.stale(id)) return
    if (!entry) return this.resubmit(`${id} finished but has no history entry`)
    await this.fromHistory(entry)
  }

  private async fromHistory(entry: HistoryEntry): Promise<void> {
    const id = this.promptId
    const messages = entry.status?.messages ?? []
    const error = messages.find(([type]) => type === 'execution_error')
    if (error) return this.settle({ error: new ComfyExecutionError(error[1] as unknown as ExecutionErrorData) })
    const interrupted = messages.find(([type]) => type === 'execution_interrupted')
    if (interrupted) {
      return this.settle({ error: new ComfyInterruptedError(interrupted[1] as unknown as ExecutionInterruptedData) })
    }
    if (this.complete()) return this.settle({ images: this.sortedImages() })
    const file = entry.outputs?.[this.options.outputNode]?.images?.[0]
    if (file && this.expected() === 1) {
      try {
        const { bytes, contentType } = await this.host.http.view(file)
        if (this.stale(id)) return
        return this.settle({ images: [{ frame: { kind: 'image', event: 0, contentType, bytes }, at: Date.now() }] })
      } catch (cause) {
        if (this.stale(id)) return
        return this.resubmit(`could not fetch ${file.filename} from /view: ${(cause as Error).message}`)
      }
    }
    await this.resubmit(`${id} finished but its image frame was lost`)
  }

  private cancel(): void {
    if (this.phase === 'settled') return
    const phase = this.phase
    const id = this.promptId
    const others = this.attemptIds.filter((attempt) => attempt !== id)
    this.phase = 'settled'
    if (id) this.host.unregister(id)
    if (id) this.host.abandon(id, phase, others)
    this.rejectPromise(this.options.signal?.reason)
  }

  private expected(): number {
    return this.options.images ?? 1
  }

  /** Every expected image is in. */
  private complete(): boolean {
    return this.images.size >= this.expected()
  }

  private sortedImages(): Image[] {
    return [...this.images.entries()].sort(([a], [b]) => a - b).map(([, image]) => image)
  }

  private settle(outcome: { images: Image[] } | { error: unknown }): void {
    if (this.phase === 'settled') return
    this.phase = 'settled'
    if (this.promptId) this.host.unregister(this.promptId)
    if (this.attemptIds.length > 0) this.host.cleanup(this.attemptIds)
    if ('error' in outcome) {
      this.rejectPromise(outcome.error)
      return
    }
    const images = outcome.images.map(({ frame }) => ({
      bytes: frame.bytes,
      contentType: frame.contentType,
      ...(frame.metadata ? { metadata: frame.metadata } : {}),
    }))
    const at = Math.max(...outcome.images.map((image) => image.at))
    this.resolvePromise({
      ...images[0]!,
      promptId: this.promptId,
      attempts: this.attemptIds.length,
      executionMs: at - (this.startedAt ?? this.submittedAt),
      images,
    })
  }
}

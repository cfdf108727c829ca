/**
 * The fake's `PromptQueue` and worker: one prompt at a time, history in memory, the interrupt flag, the classic
 * output cache, and the faults. Messages go out through {@link buildSequence} only.
 * @module
 */
import { type FakeFaults, takeFault } from './faults.js'
import { NODE_BEHAVIOURS, type NodeContext } from './nodes.js'
import type { NodeInfo } from './object-info.js'
import { ExecutionList, inputSignatures } from './schedule.js'
import type { NodeProgress, SequenceContext, SequenceName } from './sequence.js'
import { isLink, type PromptGraph } from './validate.js'

/** Timing knobs, read at each use so they can change while the fake runs. */
export interface FakeTimings {
  /** Milliseconds per sampler step. @default 0 */
  stepMs: number
  /** Milliseconds per ordinary node. @default 0 */
  nodeMs: number
  /** Milliseconds to "load" a checkpoint the first time it is used. @default 0 */
  modelLoadMs: number
  /**
   * Milliseconds between `execution_success` and `task_done` (history written, then `executing {node: null}`): the
   * window in which `/history/{id}` is still `{}` although success was announced (Comfy-Org/ComfyUI#11540). @default 10
   */
  taskDoneDelayMs: number
}

/** One queue entry, as `/queue` lists it: `[number, prompt_id, prompt, extra_data, outputs_to_execute]`. */
export interface QueueItem {
  number: number
  promptId: string
  prompt: PromptGraph
  extraData: Record<string, unknown>
  outputs: string[]
}

/** One `/history` entry. */
export interface HistoryEntry {
  prompt: [number, string, PromptGraph, Record<string, unknown>, string[]]
  outputs: Record<string, unknown>
  status: { status_str: 'success' | 'error'; completed: boolean; messages: [string, Record<string, unknown>][] }
  meta: Record<string, unknown>
}

/** Something the executor did, for the fake's event log. */
export type ExecutorEvent =
  | { type: 'prompt-started'; promptId: string }
  | { type: 'node-started'; promptId: string; nodeId: string; classType: string }
  | {
      type: 'prompt-finished'
      promptId: string
      status: 'success' | 'error' | 'interrupted'
      /** From dequeue to `executing {node: null}`: what ComfyUI logs as "Prompt executed in …". */
      executionMs: number
    }
  | { type: 'interrupt-flag'; promptId: string | null }
  /** A fault struck (for `hang`: the node is now stuck). */
  | { type: 'fault'; kind: keyof FakeFaults; promptId: string; nodeId: string }

/** What the executor needs from the server around it. */
export interface ExecutorDeps {
  objectInfo: Record<string, NodeInfo>
  timings: FakeTimings
  faults: FakeFaults
  /** Delivers messages (the server routes them to sockets). */
  deliver(name: SequenceName, ctx: SequenceContext): void
  supportsPreviewMetadata(sid: string | null): boolean
  sendBinary(sid: string | null, frame: Buffer): void
  saveFile(type: 'output' | 'temp', subfolder: string, filename: string, bytes: Uint8Array): void
  nextCounter(subfolder: string, prefix: string): number
  /** The `crash` fault struck. */
  crash(): void
  /** The `dropWebSockets` fault struck. */
  dropWebSockets(keepOut: boolean): void
  onEvent(event: ExecutorEvent): void
  log(line: string): void
}

const MAXIMUM_HISTORY_SIZE = 10000

const OOM_MESSAGE =
  'CUDA out of memory. Tried to allocate 2.50 GiB. GPU 0 has a total capacity of 79.19 GiB of which 1.06 GiB is free. ' +
  'Including non-PyTorch memory, this process has 78.12 GiB memory in use. Of the allocated memory 75.10 GiB is ' +
  'allocated by PyTorch, and 2.35 GiB is reserved by PyTorch but unallocated. If reserved but unallocated memory is ' +
  'large try setting PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True to avoid fragmentation.  See documentation for ' +
  'Memory Management  (https://pytorch.org/docs/stable/notes/cuda.html#environment-variables)'
const OOM_TIPS =
  'This error means you ran out of memory on your GPU.\n\nTIPS: If the workflow worked before you might have ' +
  'accidentally set the batch_size to a large number.'

class NodeFailure extends Error {
  constructor(
    readonly exceptionType: string,
    readonly exceptionMessage: string,
  ) {
    super(exceptionMessage)
  }
}
class Interrupted extends Error {}
class Stopped extends Error {}

interface CacheEntry {
  outputs: unknown[]
  ui: { output: unknown; meta: unknown } | null
}

const yieldToIo = () => new Promise<void>((resolve) => setImmediate(resolve))

/** The fake's queue and worker. */
export class FakeExecutor {
  private pending: QueueItem[] = []
  private runningItem: QueueItem | null = null
  /** Prompt history, oldest first. */
  readonly history = new Map<string, HistoryEntry>()
  /** `server.number`: the next queue number. */
  number = 0
  /** `server.client_id`: client of the prompt being (or last) run. */
  clientId: string | null = null
  /** `server.last_node_id`. */
  lastNodeId: string | null = null
  private interruptFlag = false
  private stopped = false
  private wake: (() => void) | undefined
  private readonly hangs = new Set<() => void>()
  private readonly timers = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>()
  private readonly cache = new Map<string, CacheEntry>()
  private readonly loadedModels = new Set<string>()
  private progress = new Map<string, NodeProgress>()
  private currentPromptId: string | undefined
  private loop: Promise<void> | undefined

  constructor(private readonly deps: ExecutorDeps) {}

  /** Starts the worker. */
  start(): void {
    this.loop ??= this.work()
  }

  /** Stops the worker at once, as a killed process would: hung nodes are released, nothing more is sent. */
  stop(): void {
    this.stopped = true
    for (const release of this.hangs) release()
    for (const t of this.timers) {
      clearTimeout(t.timer)
      t.resolve()
    }
    this.wake?.()
  }

  /** The prompt being run. */
  get running(): QueueItem | null {
    return this.runningItem
  }

  /** Pending prompts in queue order. */
  get queued(): readonly QueueItem[] {
    return this.pending
  }

  /** `get_tasks_remaining()`. */
  queueRemaining(): number {
    return this.pending.length + (this.runningItem ? 1 : 0)
  }

  /** `PromptQueue.put`. */
  enqueue(item: QueueItem): void {
    this.pending.push(item)
    this.pending.sort((a, b) => a.number - b.number || (a.promptId < b.promptId ? -1 : a.promptId > b.promptId ? 1 : 0))
    this.emit('enqueued', {})
    this.wake?.()
  }

  /** `delete_queue_item`: removes the first pending item with that id; running prompts are untouched. */
  deletePending(promptId: string): boolean {
    const index = this.pending.findIndex((item) => item.promptId === promptId)
    if (index < 0) return false
    // Deleting the last pending item goes through wipe_queue(), which reports too: two status messages.
    if (this.pending.length === 1) this.wipePending()
    else this.pending.splice(index, 1)
    this.emit('queueChanged', {})
    return true
  }

  /** `wipe_queue`. */
  wipePending(): void {
    this.pending = []
    this.emit('queueChanged', {})
  }

  /** `POST /interrupt`: targeted only when that prompt is running, global without an id. */
  interrupt(promptId?: string): boolean {
    if (promptId && this.runningItem?.promptId !== promptId) {
      this.deps.log(`Prompt ${promptId} is not currently running, skipping interrupt`)
      return false
    }
    this.deps.log(promptId ? `Interrupting prompt ${promptId}` : 'Global interrupt (no prompt_id specified)')
    this.interruptFlag = true
    this.deps.onEvent({ type: 'interrupt-flag', promptId: promptId ?? null })
    return true
  }

  private context(extra: Partial<SequenceContext>): SequenceContext {
    return {
      clientId: this.clientId,
      promptId: this.currentPromptId,
      queueRemaining: this.queueRemaining(),
      progress: this.progress,
      lastNodeId: this.lastNodeId,
      supportsPreviewMetadata: (sid) => this.deps.supportsPreviewMetadata(sid),
      ...extra,
    }
  }

  private emit(name: SequenceName, extra: Partial<SequenceContext>): void {
    if (this.stopped) return
    this.deps.deliver(name, this.context(extra))
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.reject(new Stopped())
    if (ms <= 0) return yieldToIo()
    return new Promise<void>((resolve, reject) => {
      const entry = {
        timer: setTimeout(() => {
          this.timers.delete(entry)
          if (this.stopped) reject(new Stopped())
          else resolve()
        }, ms),
        resolve: () => reject(new Stopped()),
      }
      this.timers.add(entry)
    })
  }

  private async work(): Promise<void> {
    while (!this.stopped) {
      const item = this.pending.shift()
      if (!item) {
        await new Promise<void>((resolve) => {
          this.wake = resolve
        })
        this.wake = undefined
        continue
      }
      this.runningItem = item
      this.emit('dequeued', {})
      const started = performance.now()
      const outcome = await this.execute(item).catch((error: unknown) => {
        if (error instanceof Stopped) return undefined
        throw error
      })
      if (!outcome || this.stopped) return
      // execute_async returns, asyncio.run tears its loop down, then the worker calls task_done.
      await this.sleep(this.deps.timings.taskDoneDelayMs).catch(() => undefined)
      if (this.stopped) return
      // task_done: history written, then the queue status, then `executing {node: null}`.
      this.runningItem = null
      if (this.history.size > MAXIMUM_HISTORY_SIZE) this.history.delete(this.history.keys().next().value!)
      this.history.set(item.promptId, outcome.entry)
      this.emit('taskDone', {})
      const executionMs = performance.now() - started
      this.deps.onEvent({ type: 'prompt-finished', promptId: item.promptId, status: outcome.status, executionMs })
      this.deps.log(`Prompt executed in ${(executionMs / 1000).toFixed(2)} seconds`)
    }
  }

  private async execute(
    item: QueueItem,
  ): Promise<{ entry: HistoryEntry; status: 'success' | 'error' | 'interrupted' } | undefined> {
    const { prompt, promptId } = item
    const { objectInfo } = this.deps
    this.interruptFlag = false
    this.clientId = typeof item.extraData['client_id'] === 'string' ? item.extraData['client_id'] : null
    this.currentPromptId = promptId
    this.progress = new Map()
    const messages: [string, Record<string, unknown>][] = []
    const addMessage = (name: SequenceName, event: string, data: Record<string, unknown>) => {
      const timestamp = Date.now()
      messages.push([event, { prompt_id: promptId, ...data, timestamp }])
      this.emit(name, { timestamp, failure: data })
    }
    this.deps.onEvent({ type: 'prompt-started', promptId })

    const signatures = inputSignatures(prompt)
    const live = new Set(signatures.values())
    for (const key of [...this.cache.keys()]) if (!live.has(key)) this.cache.delete(key)
    const cachedEntry = (id: string) => this.cache.get(signatures.get(id) ?? '')
    const cachedNodes = Object.keys(prompt).filter((id) => cachedEntry(id) !== undefined)
    const startedAt = Date.now()
    messages.push(['execution_start', { prompt_id: promptId, timestamp: startedAt }])
    messages.push(['execution_cached', { nodes: cachedNodes, prompt_id: promptId, timestamp: startedAt }])
    this.emit('promptStart', { timestamp: startedAt, cachedNodes })

    const list = new ExecutionList(prompt, objectInfo, (id) => cachedEntry(id) !== undefined)
    for (const output of item.outputs) list.addNode(output)
    const values = new Map<string, unknown[]>()
    const executed: string[] = []
    const uiOutputs: Record<string, unknown> = {}
    const meta: Record<string, unknown> = {}
    let status: 'success' | 'error' | 'interrupted' = 'success'

    const setProgress = (id: string, p: NodeProgress) => this.progress.set(id, p)
    const outputsOf = (id: string): unknown[] | undefined => values.get(id) ?? cachedEntry(id)?.outputs

    while (!list.isEmpty()) {
      const nodeId = list.next()
      if (nodeId === undefined) break
      const node = prompt[nodeId]!
      const cached = cachedEntry(nodeId)
      if (cached) {
        if (cached.ui) {
          uiOutputs[nodeId] = cached.ui.output
          meta[nodeId] = cached.ui.meta
        }
        setProgress(nodeId, { value: 1, max: 1, state: 'finished' })
        this.emit('cachedNode', { nodeId, output: cached.ui?.output ?? null })
        values.set(nodeId, cached.outputs)
        list.complete(nodeId)
        continue
      }

      setProgress(nodeId, { value: 0, max: 1, state: 'running' })
      const inputs: Record<string, unknown> = {}
      for (const [name, value] of Object.entries(node.inputs)) {
        inputs[name] = isLink(value) ? outputsOf(value[0])?.[value[1]] : value
      }
      if (this.clientId !== null) this.lastNodeId = nodeId
      this.emit('nodeStart', { nodeId })
      this.deps.onEvent({ type: 'node-started', promptId, nodeId, classType: node.class_type })

      let result: { outputs: unknown[]; ui?: Record<string, unknown> }
      try {
        result = await this.runNode(promptId, nodeId, node.class_type, inputs)
      } catch (error) {
        if (error instanceof Stopped) throw error
        if (error instanceof Interrupted) {
          this.deps.log('Processing interrupted')
          addMessage('interrupted', 'execution_interrupted', {
            node_id: nodeId,
            node_type: node.class_type,
            executed: [...executed],
          })
          status = 'interrupted'
        } else {
          // A node behaviour may name the Python exception it stands for (`exceptionType`), as load.py's ValueError.
          const failure =
            error instanceof NodeFailure
              ? error
              : new NodeFailure(
                  (error as { exceptionType?: string }).exceptionType ?? 'Exception',
                  String((error as Error).message),
                )
          this.deps.log(`!!! Exception during processing !!! ${failure.exceptionMessage}`)
          addMessage('error', 'execution_error', {
            node_id: nodeId,
            node_type: node.class_type,
            executed: [...executed],
            exception_message: failure.exceptionMessage,
            exception_type: failure.exceptionType,
            traceback: [
              '  File "/ComfyUI/execution.py", line 510, in execute\n    output_data, output_ui, has_subgraph, has_pending_tasks = await get_output_data(prompt_id, unique_id, obj, input_data_all, execution_block_cb=execution_block_cb, pre_execute_cb=pre_execute_cb, v3_data=v3_data)\n',
              `  File "/ComfyUI/fake_nodes.py", line 1, in ${node.class_type}\n    raise ${failure.exceptionType}(message)\n`,
            ],
            current_inputs: Object.fromEntries(
              Object.entries(inputs).map(([k, v]) => [
                k,
                [v === null || typeof v !== 'object' ? v : `<${typeof v} object at 0x7f00deadbeef>`],
              ]),
            ),
            current_outputs: cachedNodes,
          })
          status = 'error'
        }
        break
      }

      if (result.ui) {
        uiOutputs[nodeId] = result.ui
        meta[nodeId] = { node_id: nodeId, display_node: nodeId, parent_node: null, real_node_id: nodeId }
        this.emit('nodeOutput', { nodeId, output: result.ui })
      }
      this.cache.set(signatures.get(nodeId)!, {
        outputs: result.outputs,
        ui: result.ui ? { output: result.ui, meta: meta[nodeId] } : null,
      })
      values.set(nodeId, result.outputs)
      const p = this.progress.get(nodeId)!
      setProgress(nodeId, { value: p.max, max: p.max, state: 'finished' })
      this.emit('nodeEnd', { nodeId })
      executed.push(nodeId)
      list.complete(nodeId)
    }

    if (status === 'success') addMessage('success', 'execution_success', {})
    this.lastNodeId = null
    if (this.stopped) return undefined
    const entry: HistoryEntry = {
      prompt: [item.number, promptId, prompt, item.extraData, item.outputs],
      outputs: uiOutputs,
      status: { status_str: status === 'success' ? 'success' : 'error', completed: status === 'success', messages },
      meta,
    }
    return { entry, status }
  }

  private async runNode(
    promptId: string,
    nodeId: string,
    classType: string,
    inputs: Record<string, unknown>,
  ): Promise<{ outputs: unknown[]; ui?: Record<string, unknown> }> {
    const { faults, timings } = this.deps
    const struck = (kind: keyof FakeFaults) => this.deps.onEvent({ type: 'fault', kind, promptId, nodeId })
    if (takeFault(faults, 'crash', nodeId, classType)) {
      struck('crash')
      this.deps.crash()
      throw new Stopped()
    }
    const drop = takeFault(faults, 'dropWebSockets', nodeId, classType)
    if (drop) {
      struck('dropWebSockets')
      this.deps.dropWebSockets(drop.keepOut === true)
    }
    // before_node_execution(): the interrupt flag is checked at every node boundary.
    await yieldToIo()
    if (this.interruptFlag) throw new Interrupted()
    if (takeFault(faults, 'hang', nodeId, classType)) {
      struck('hang')
      await new Promise<void>((resolve) => this.hangs.add(resolve))
      throw new Stopped()
    }
    const failure = takeFault(faults, 'nodeError', nodeId, classType)
    if (failure) {
      struck('nodeError')
      throw new NodeFailure(
        failure.exceptionType ?? 'RuntimeError',
        `${failure.message ?? `fake failure in node ${nodeId}`}\n`,
      )
    }
    if (takeFault(faults, 'oom', nodeId, classType)) {
      struck('oom')
      this.deps.log('Got an OOM, unloading all loaded models.')
      this.loadedModels.clear()
      throw new NodeFailure('torch.OutOfMemoryError', `${OOM_MESSAGE}\n${OOM_TIPS}`)
    }
    const behaviour = NODE_BEHAVIOURS[classType]
    if (!behaviour) return { outputs: [] }
    const ctx: NodeContext = {
      promptId,
      nodeId,
      work: () => this.sleep(timings.nodeMs),
      step: () => this.sleep(timings.stepMs),
      loadModel: async (name) => {
        if (this.loadedModels.has(name)) return this.sleep(timings.nodeMs)
        await this.sleep(timings.modelLoadMs)
        this.loadedModels.add(name)
      },
      progress: async (value, max, preview) => {
        // The progress hook raises on a pending interrupt before it reports anything.
        if (this.interruptFlag) throw new Interrupted()
        if (this.stopped) throw new Stopped()
        const dropAtStep = takeFault(faults, 'dropWebSockets', nodeId, classType, value)
        if (dropAtStep) {
          struck('dropWebSockets')
          this.deps.dropWebSockets(dropAtStep.keepOut === true)
        }
        this.progress.set(nodeId, { value, max, state: 'running' })
        this.emit('progressTick', { nodeId, value, max, ...(preview ? { preview } : {}) })
      },
      sendBinary: (frame) => {
        if (!this.stopped) this.deps.sendBinary(this.clientId, frame)
      },
      saveFile: (type, subfolder, filename, bytes) => this.deps.saveFile(type, subfolder, filename, bytes),
      nextCounter: (subfolder, prefix) => this.deps.nextCounter(subfolder, prefix),
    }
    return behaviour(inputs, ctx)
  }
}

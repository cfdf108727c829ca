/**
 * What the fake sends on the WebSocket, in one data-driven place to diff against a transcript of real ComfyUI.
 * {@link SEQUENCES} lists, per moment of a prompt's life, the messages ComfyUI 0.8.0 sends and their order
 * (read from `main.py` `prompt_worker`/`hijack_progress`, `execution.py` `execute`/`execute_async`/`add_message`,
 * `comfy_execution/progress.py` `WebUIProgressHandler`, `server.py` `websocket_handler`/`send_image*`).
 * {@link MESSAGES} says, per message, who receives it and what it carries. `@genimage/server`'s
 * `test/comfyui-transcript.test.ts` checks the result against `transcripts/comfyui-0.8.0.json`, recorded from real
 * ComfyUI on a GPU.
 * @module
 */
import { pyJson } from './python.js'

/**
 * The binary event types of ComfyUI's `protocol.py` (`BinaryEventTypes`) that the fake sends, plus the one of genimage's output node.
 * The fake keeps its own copy, checked against recorded frames, so that a client's wrong constant shows up as a
 * client that cannot decode the fake's frames.
 */
export const BINARY_EVENT = {
  PREVIEW_IMAGE: 1,
  PREVIEW_IMAGE_WITH_METADATA: 4,
  /** `GenimageOutput` (genimage's `comfyui-nodes/genimage_output`): `[u32 json length][json metadata][encoded image]`. */
  GENIMAGE_IMAGE: 0x47454e49,
} as const

/** Who receives a message. */
type Route =
  /** `send_sync(..., sid=server.client_id)` guarded by `if server.client_id is not None`: dropped without a client. */
  | 'client'
  /** `send_sync(..., sid=server.client_id)` unguarded: with no client id, sid is None and every socket gets it. */
  | 'client-or-all'
  /** `send_sync(..., sid=None)`: every socket. */
  | 'all'
  /** Only the socket being set up (`websocket_handler`). */
  | 'connecting'

/** Per-node progress, as `ProgressRegistry` keeps it. */
export interface NodeProgress {
  value: number
  max: number
  state: 'pending' | 'running' | 'finished'
}

/** Everything a message builder may read. */
export interface SequenceContext {
  /** `server.client_id`: the `client_id` of the prompt being run. */
  clientId: string | null
  /** The socket being set up (connect sequence only). */
  connectingSid?: string
  promptId?: string
  nodeId?: string
  /** `get_tasks_remaining()`: pending + running. */
  queueRemaining: number
  /** Node states of the running prompt, in the order nodes were first touched. */
  progress?: Map<string, NodeProgress>
  cachedNodes?: string[]
  /** `server.last_node_id`, for the catch-up `executing` sent to a reconnecting client. */
  lastNodeId?: string | null
  value?: number
  max?: number
  /** Encoded preview or SaveImageWebsocket image of this progress tick. */
  preview?: { format: 'PNG' | 'JPEG'; bytes: Uint8Array }
  /** The ui dict of an output node (`executed`). */
  output?: unknown
  /** Milliseconds since the epoch, for messages that carry a `timestamp` (`add_message`). */
  timestamp?: number
  /** `execution_error` / `execution_interrupted` payload (without `prompt_id` and `timestamp`). */
  failure?: Record<string, unknown>
  /** Feature flags the given socket negotiated. */
  supportsPreviewMetadata(sid: string | null): boolean
}

/** One message ready for the hub. */
export interface Outgoing {
  /** Message name as in {@link MESSAGES}, for logs and assertions. */
  name: MessageName
  route: Route
  /** JSON text (`{"type": ..., "data": ...}` as Python prints it) or a binary frame. */
  payload: string | Buffer
}

function json(type: string, data: Record<string, unknown>): string {
  return pyJson({ type, data })
}

function status(ctx: SequenceContext, sid?: string): string {
  const data: Record<string, unknown> = { status: { exec_info: { queue_remaining: ctx.queueRemaining } } }
  if (sid !== undefined) data['sid'] = sid
  return json('status', data)
}

function progressState(ctx: SequenceContext): string {
  const nodes = new Map<string, unknown>()
  for (const [id, p] of ctx.progress ?? []) {
    if (p.state === 'pending') continue
    nodes.set(id, {
      value: p.value,
      max: p.max,
      state: p.state,
      node_id: id,
      prompt_id: ctx.promptId,
      display_node_id: id,
      parent_node_id: null,
      real_node_id: id,
    })
  }
  return json('progress_state', { prompt_id: ctx.promptId, nodes })
}

function frame(event: number, ...parts: Uint8Array[]): Buffer {
  const header = Buffer.alloc(4)
  header.writeUInt32BE(event)
  return Buffer.concat([header, ...parts])
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4)
  b.writeUInt32BE(n)
  return b
}

/** Message names the fake can send. */
export type MessageName =
  | 'status'
  | 'status:sid'
  | 'executing:catch-up'
  | 'feature_flags'
  | 'execution_start'
  | 'execution_cached'
  | 'progress_state'
  | 'executing'
  | 'progress'
  | 'preview:type4'
  | 'preview:type1'
  | 'executed'
  | 'execution_success'
  | 'execution_error'
  | 'execution_interrupted'
  | 'executing:null'

/** How each message is routed and built; a builder returning undefined means "not sent this time". */
export const MESSAGES: Record<MessageName, { route: Route; build(ctx: SequenceContext): string | Buffer | undefined }> =
  {
    status: { route: 'all', build: (ctx) => status(ctx) },
    'status:sid': { route: 'connecting', build: (ctx) => status(ctx, ctx.connectingSid) },
    'executing:catch-up': {
      route: 'connecting',
      build: (ctx) =>
        ctx.clientId === ctx.connectingSid && ctx.lastNodeId != null
          ? json('executing', { node: ctx.lastNodeId })
          : undefined,
    },
    feature_flags: {
      route: 'connecting',
      build: () =>
        json('feature_flags', {
          supports_preview_metadata: true,
          max_upload_size: 100 * 1024 * 1024,
          extension: { manager: { supports_v4: true } },
        }),
    },
    execution_start: {
      route: 'client',
      build: (ctx) => json('execution_start', { prompt_id: ctx.promptId, timestamp: ctx.timestamp ?? Date.now() }),
    },
    execution_cached: {
      route: 'client',
      build: (ctx) =>
        json('execution_cached', {
          nodes: ctx.cachedNodes ?? [],
          prompt_id: ctx.promptId,
          timestamp: ctx.timestamp ?? Date.now(),
        }),
    },
    progress_state: { route: 'client-or-all', build: progressState },
    executing: {
      route: 'client',
      build: (ctx) => json('executing', { node: ctx.nodeId, display_node: ctx.nodeId, prompt_id: ctx.promptId }),
    },
    progress: {
      route: 'client-or-all',
      build: (ctx) =>
        json('progress', { value: ctx.value, max: ctx.max, prompt_id: ctx.promptId, node: ctx.nodeId ?? null }),
    },
    'preview:type4': {
      route: 'client-or-all',
      build: (ctx) => {
        if (!ctx.preview || !ctx.supportsPreviewMetadata(ctx.clientId)) return undefined
        const metadata = Buffer.from(
          pyJson({
            node_id: ctx.nodeId,
            prompt_id: ctx.promptId,
            display_node_id: ctx.nodeId,
            parent_node_id: null,
            real_node_id: ctx.nodeId,
            image_type: ctx.preview.format === 'PNG' ? 'image/png' : 'image/jpeg',
          }),
        )
        return frame(BINARY_EVENT.PREVIEW_IMAGE_WITH_METADATA, u32(metadata.length), metadata, ctx.preview.bytes)
      },
    },
    'preview:type1': {
      route: 'client-or-all',
      build: (ctx) => {
        if (!ctx.preview || ctx.supportsPreviewMetadata(ctx.clientId)) return undefined
        return frame(BINARY_EVENT.PREVIEW_IMAGE, u32(ctx.preview.format === 'JPEG' ? 1 : 2), ctx.preview.bytes)
      },
    },
    executed: {
      route: 'client',
      build: (ctx) =>
        json('executed', {
          node: ctx.nodeId,
          display_node: ctx.nodeId,
          output: ctx.output ?? null,
          prompt_id: ctx.promptId,
        }),
    },
    execution_success: {
      route: 'client',
      build: (ctx) => json('execution_success', { prompt_id: ctx.promptId, timestamp: ctx.timestamp ?? Date.now() }),
    },
    execution_error: {
      route: 'client',
      build: (ctx) =>
        json('execution_error', { prompt_id: ctx.promptId, ...ctx.failure, timestamp: ctx.timestamp ?? Date.now() }),
    },
    // add_message(broadcast=True): sent even without a client id (then to everybody).
    execution_interrupted: {
      route: 'client-or-all',
      build: (ctx) =>
        json('execution_interrupted', {
          prompt_id: ctx.promptId,
          ...ctx.failure,
          timestamp: ctx.timestamp ?? Date.now(),
        }),
    },
    'executing:null': {
      route: 'client',
      build: (ctx) => json('executing', { node: null, prompt_id: ctx.promptId }),
    },
  }

/**
 * The message order of ComfyUI 0.8.0, moment by moment. One prompt with nothing cached, seed workflow:
 * `enqueued`, `dequeued`, `promptStart`, then per node `nodeStart` (+ `progressTick` per sampler step,
 * + `nodeOutput` when it returns a ui dict) `nodeEnd`, then `success`|`error`|`interrupted`, then `taskDone`.
 */
export const SEQUENCES = {
  /** `websocket_handler`: a socket connects. */
  connect: ['status:sid', 'executing:catch-up'],
  /** The client's first message was `feature_flags`. */
  featureFlags: ['feature_flags'],
  /** `PromptQueue.put` (POST /prompt accepted). */
  enqueued: ['status'],
  /** `PromptQueue.get`: the worker took the prompt. */
  dequeued: ['status'],
  /** `execute_async`: start, then the cached node list. */
  promptStart: ['execution_start', 'execution_cached'],
  /** `execute()` on a cached node (only output nodes get here): replay its ui, mark it finished. */
  cachedNode: ['executed', 'progress_state'],
  /** `execute()`: `start_progress` then `executing`. */
  nodeStart: ['progress_state', 'executing'],
  /** Progress hook (`ProgressBar.update_absolute`): state, type-4 preview, progress, legacy type-1 preview. */
  progressTick: ['progress_state', 'preview:type4', 'progress', 'preview:type1'],
  /** The node returned a ui dict. */
  nodeOutput: ['executed'],
  /** `finish_progress`. */
  nodeEnd: ['progress_state'],
  /** The execution loop ended without a break (sent before history is written). */
  success: ['execution_success'],
  /** A node raised. */
  error: ['execution_error'],
  /** The interrupt flag was seen. */
  interrupted: ['execution_interrupted'],
  /** `task_done` (history written, queue status) then `executing {node: null}` from `prompt_worker`. */
  taskDone: ['status', 'executing:null'],
  /** `wipe_queue` / `delete_queue_item`. */
  queueChanged: ['status'],
} as const satisfies Record<string, readonly MessageName[]>

/** A moment of a prompt's life, as a key of {@link SEQUENCES}. */
export type SequenceName = keyof typeof SEQUENCES

/**
 * Builds the messages of one moment, dropping those a builder skips.
 * @example
 * for (const message of buildSequence('nodeStart', ctx)) hub.deliver(message, ctx)
 */
export function buildSequence(name: SequenceName, ctx: SequenceContext): Outgoing[] {
  const out: Outgoing[] = []
  for (const messageName of SEQUENCES[name]) {
    const spec = MESSAGES[messageName]
    const payload = spec.build(ctx)
    if (payload !== undefined) out.push({ name: messageName, route: spec.route, payload })
  }
  return out
}

/**
 * Builds our output node's frame: `[u32 GENI][u32 json length][json metadata][encoded image]`.
 * @example
 * genimageFrame({ prompt_id, node_id: '27', content_type: 'image/webp', width: 512, height: 512 }, bytes)
 */
export function genimageFrame(metadata: Record<string, unknown>, image: Uint8Array): Buffer {
  const meta = Buffer.from(pyJson(metadata))
  return frame(BINARY_EVENT.GENIMAGE_IMAGE, u32(meta.length), meta, image)
}

/**
 * ComfyUI's wire protocol as the bridge sees it: API-format graphs, WebSocket messages, binary frames, queue and
 * history shapes (ComfyUI 0.8.0; see `shared/research/comfyui-protocol.md`).
 * @module
 */

/** One node of an API-format graph. */
export interface ComfyNode {
  class_type: string
  inputs: Record<string, unknown>
  _meta?: { title?: string }
}

/** An API-format graph (what `POST /prompt` takes): node id → node. */
export type ComfyGraph = Record<string, ComfyNode>

/** Data of `execution_error`. */
export interface ExecutionErrorData {
  prompt_id: string
  node_id: string
  node_type: string
  executed?: string[]
  exception_message: string
  exception_type: string
  traceback?: string[]
  current_inputs?: Record<string, unknown>
  current_outputs?: string[]
  timestamp?: number
}

/** Data of `execution_interrupted`. */
export interface ExecutionInterruptedData {
  prompt_id: string
  node_id: string
  node_type: string
  executed?: string[]
  timestamp?: number
}

/** The JSON messages the bridge acts on; others (custom nodes' own types) pass through as `unknown`. */
export type ComfyMessage =
  | { type: 'status'; data: { status?: { exec_info?: { queue_remaining?: number } }; sid?: string } }
  | { type: 'execution_start'; data: { prompt_id: string; timestamp?: number } }
  | { type: 'execution_cached'; data: { nodes: string[]; prompt_id: string } }
  | { type: 'executing'; data: { node: string | null; display_node?: string; prompt_id?: string } }
  | { type: 'progress'; data: { value: number; max: number; prompt_id?: string; node?: string | null } }
  | { type: 'executed'; data: { node: string; output: Record<string, unknown> | null; prompt_id: string } }
  | { type: 'execution_success'; data: { prompt_id: string } }
  | { type: 'execution_error'; data: ExecutionErrorData }
  | { type: 'execution_interrupted'; data: ExecutionInterruptedData }
  | { type: 'unknown'; data: unknown; name: string }

/** Binary event types (`protocol.py` `BinaryEventTypes`), plus the one of our output node. */
export const BINARY_EVENT = {
  PREVIEW_IMAGE: 1,
  UNENCODED_PREVIEW_IMAGE: 2,
  TEXT: 3,
  PREVIEW_IMAGE_WITH_METADATA: 4,
  /** `GenimageOutput` (`comfyui-nodes/genimage_output`): `[u32 json length][json metadata][encoded image]`. */
  GENIMAGE_IMAGE: 0x47454e49,
} as const

/** A decoded binary frame. */
export type BinaryFrame =
  | {
      kind: 'image'
      event: number
      /** MIME type of `bytes`. */
      contentType: string
      bytes: Uint8Array
      /** Present on type-4 and GENIMAGE frames; type 1 carries no ids. */
      promptId?: string
      nodeId?: string
      /** The frame's JSON metadata (type 4 and GENIMAGE). */
      metadata?: Record<string, unknown>
    }
  | { kind: 'text'; nodeId: string; text: string }
  | { kind: 'unknown'; event: number }

/**
 * Decodes a binary WebSocket frame (all integers big-endian).
 * @example
 * const frame = decodeBinaryFrame(data)
 * if (frame.kind === 'image') console.log(frame.contentType, frame.bytes.length)
 */
export function decodeBinaryFrame(data: Uint8Array): BinaryFrame {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength)
  if (data.byteLength < 4) return { kind: 'unknown', event: -1 }
  const event = view.getUint32(0)
  if (event === BINARY_EVENT.PREVIEW_IMAGE && data.byteLength >= 8) {
    const format = view.getUint32(4)
    return { kind: 'image', event, contentType: format === 1 ? 'image/jpeg' : 'image/png', bytes: data.subarray(8) }
  }
  if (
    (event === BINARY_EVENT.PREVIEW_IMAGE_WITH_METADATA || event === BINARY_EVENT.GENIMAGE_IMAGE) &&
    data.length >= 8
  ) {
    const length = view.getUint32(4)
    const metadata = JSON.parse(new TextDecoder().decode(data.subarray(8, 8 + length))) as Record<string, unknown>
    const contentType = String(metadata['content_type'] ?? metadata['image_type'] ?? 'image/png')
    return {
      kind: 'image',
      event,
      contentType,
      bytes: data.subarray(8 + length),
      ...(typeof metadata['prompt_id'] === 'string' ? { promptId: metadata['prompt_id'] } : {}),
      ...(typeof metadata['node_id'] === 'string' ? { nodeId: metadata['node_id'] } : {}),
      metadata,
    }
  }
  if (event === BINARY_EVENT.TEXT && data.byteLength >= 8) {
    const length = view.getUint32(4)
    const decoder = new TextDecoder()
    return {
      kind: 'text',
      nodeId: decoder.decode(data.subarray(8, 8 + length)),
      text: decoder.decode(data.subarray(8 + length)),
    }
  }
  return { kind: 'unknown', event }
}

/**
 * Parses a JSON text message; unknown types come back as `{ type: 'unknown', name }`.
 * @example
 * const message = parseMessage('{"type": "executing", "data": {"node": null, "prompt_id": "p"}}')
 */
export function parseMessage(text: string): ComfyMessage {
  const raw = JSON.parse(text) as { type?: unknown; data?: unknown }
  const known = [
    'status',
    'execution_start',
    'execution_cached',
    'executing',
    'progress',
    'executed',
    'execution_success',
    'execution_error',
    'execution_interrupted',
  ]
  if (typeof raw.type === 'string' && known.includes(raw.type) && raw.data !== null && typeof raw.data === 'object') {
    return raw as ComfyMessage
  }
  return { type: 'unknown', name: String(raw.type), data: raw.data }
}

/** One `/queue` entry: `[number, prompt_id, prompt, extra_data, outputs_to_execute]`. */
export type QueueEntry = [number, string, ComfyGraph, Record<string, unknown>, string[]]

/** `GET /queue`. */
export interface QueueState {
  queue_running: QueueEntry[]
  queue_pending: QueueEntry[]
}

/** A file reference in a node's ui output (`SaveImage`: `{filename, subfolder, type}`). */
export interface FileRef {
  filename: string
  subfolder: string
  type: string
}

/** One `/history/{id}` entry. */
export interface HistoryEntry {
  prompt: unknown[]
  outputs: Record<string, { images?: FileRef[] } & Record<string, unknown>>
  status: {
    status_str: 'success' | 'error'
    completed: boolean
    messages: [string, Record<string, unknown>][]
  } | null
  meta?: Record<string, unknown>
}

/** One input spec in `/object_info`: the type (or a combo's options) and the options object. */
export type InputSpec = [string | unknown[], Record<string, unknown>?]

/** One class in `/object_info`. */
export interface NodeInfo {
  input: {
    required?: Record<string, InputSpec>
    optional?: Record<string, InputSpec>
    hidden?: Record<string, unknown>
  }
  input_order?: Record<string, string[]>
  output: string[]
  output_node: boolean
  name: string
}

/** `POST /prompt` answers. */
export interface PromptAccepted {
  prompt_id: string
  number: number
  node_errors: Record<string, NodeErrorEntry>
}

/** One entry of `node_errors`. */
export interface NodeErrorEntry {
  errors: { type: string; message: string; details: string; extra_info?: Record<string, unknown> }[]
  dependent_outputs: string[]
  class_type: string
}

/**
 * Turns a recorded WebSocket transcript (real ComfyUI or the fake) into comparable tokens, one per message:
 * `status:1`, `execution_cached:5,6,7`, `executing:13`, `progress:13:1/2`, `progress_state:13=running:1/2`,
 * `binary:GENI:image/png:512x512`, … Volatile parts (ids, timestamps, byte counts) are left out.
 * @module
 */

/** One recorded message: JSON text, or a summary of a binary frame (see `record.py`). */
export type RecordedMessage =
  | { text: string }
  | {
      binary: {
        event: number
        /** Type-1 image format: 1 JPEG, 2 PNG. */
        format?: number
        /** Type-4 / GENI metadata. */
        meta?: Record<string, unknown>
        /** `[format, width, height]` as PIL (or sharp) decoded the image. */
        decoded?: unknown
      }
    }

const GENI = 0x47454e49

function nodes(value: unknown): string {
  return Array.isArray(value) ? value.join(',') : String(value)
}

function token(message: RecordedMessage): string {
  if ('binary' in message) {
    const { event, format, meta, decoded } = message.binary
    const name = event === GENI ? 'GENI' : String(event)
    const type =
      event === 1 ? (format === 1 ? 'jpeg' : 'png') : String(meta?.['content_type'] ?? meta?.['image_type'] ?? '?')
    const size = Array.isArray(decoded) ? `:${decoded[1]}x${decoded[2]}` : ''
    return `binary:${name}:${type}${size}`
  }
  const { type, data } = JSON.parse(message.text) as { type: string; data: Record<string, unknown> }
  switch (type) {
    case 'status': {
      const remaining = (data['status'] as { exec_info?: { queue_remaining?: number } })?.exec_info?.queue_remaining
      return `status:${remaining}${'sid' in data ? ':sid' : ''}`
    }
    case 'execution_cached':
      return `execution_cached:${nodes(data['nodes'])}`
    case 'executing':
      return `executing:${data['node'] ?? 'null'}`
    case 'progress':
      return `progress:${data['node']}:${Number(data['value'])}/${Number(data['max'])}`
    case 'progress_state': {
      const entries = Object.entries(data['nodes'] as Record<string, { state: string; value: number; max: number }>)
      return `progress_state:${entries.map(([id, p]) => `${id}=${p.state}:${Number(p.value)}/${Number(p.max)}`).join(',')}`
    }
    case 'executed':
      return `executed:${data['node']}`
    case 'execution_error':
    case 'execution_interrupted':
      return `${type}:${data['node_id']}:${data['node_type']}`
    default:
      return type
  }
}

/**
 * Condenses a transcript into tokens.
 * @example
 * condense([{ text: '{"type": "executing", "data": {"node": null, "prompt_id": "p"}}' }]) // ['executing:null']
 */
export function condense(messages: readonly RecordedMessage[]): string[] {
  return messages.map(token)
}

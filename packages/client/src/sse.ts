import { abortable, linkSignals, timer } from './timeout.js'

/** One server-sent event. */
export interface SseEvent {
  /** The `event:` field, `message` when absent. */
  event: string
  /** The `data:` lines joined with `\n`. */
  data: string
}

/**
 * A server-sent events parser (the WHATWG rules this client needs): `event:` and multi-line `data:` fields, `:`
 * comments, LF, CRLF and CR line ends, and chunks that split lines or CRLF pairs anywhere. `id:` and `retry:`
 * are ignored because the client never reconnects a stream (it falls back to polling).
 * @example const feed = createSseParser((event) => console.log(event.data)); feed('data: hi\n\n')
 */
export function createSseParser(onEvent: (event: SseEvent) => void): (chunk: string) => void {
  let buffer = ''
  let afterCR = false
  let event = ''
  let data: string | undefined
  const line = (text: string) => {
    if (!text) {
      if (data !== undefined) onEvent({ event: event || 'message', data })
      event = ''
      data = undefined
      return
    }
    // A comment (`: ping`) has an empty field name, which matches no field below.
    const colon = text.indexOf(':')
    const field = colon < 0 ? text : text.slice(0, colon)
    let value = colon < 0 ? '' : text.slice(colon + 1)
    if (value[0] === ' ') value = value.slice(1)
    if (field === 'data') data = data === undefined ? value : `${data}\n${value}`
    else if (field === 'event') event = value
  }
  return (chunk) => {
    // A CR that ended the last chunk already ended its line: a LF starting this chunk is the rest of that CRLF.
    if (!chunk) return
    const text = afterCR && chunk[0] === '\n' ? chunk.slice(1) : chunk
    afterCR = chunk.endsWith('\r')
    const lines = (buffer + text).split(/\r\n|\r|\n/)
    buffer = lines.pop() ?? ''
    lines.forEach(line)
  }
}

/**
 * The events of a `text/event-stream` body, decoded as UTF-8 across chunk boundaries. Rejects when `signal`
 * aborts or when nothing (not even a `: ping` comment) arrives for `idleTimeout` ms; calls `end` (which should abort
 * the fetch), then releases the body, either way.
 */
export async function* readEvents(
  body: ReadableStream<Uint8Array>,
  signal: AbortSignal,
  idleTimeout: number,
  end: () => void = () => {},
): AsyncGenerator<SseEvent> {
  const reader = body.getReader()
  const decoder = new TextDecoder()
  const events: SseEvent[] = []
  const feed = createSseParser((event) => events.push(event))
  try {
    for (;;) {
      const idle = timer(idleTimeout)
      const link = linkSignals([signal, idle.signal])
      const chunk = await abortable(reader.read(), link.signal).finally(() => {
        idle.clear()
        link.unlink()
      })
      if (chunk.done) return
      feed(decoder.decode(chunk.value, { stream: true }))
      yield* events.splice(0)
    }
  } finally {
    // The fetch ends before its body is cancelled: happy-dom's fetch keeps pushing what still arrives into a
    // cancelled body, which throws "Controller is already closed" outside any caller.
    end()
    reader.cancel().catch(() => {})
  }
}

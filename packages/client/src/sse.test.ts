import { afterEach, describe, expect, it, vi } from 'vitest'
import { createSseParser, readEvents, type SseEvent } from './sse.js'
import { useFakeClock } from './test-helpers.js'

function parse(...chunks: string[]): SseEvent[] {
  const events: SseEvent[] = []
  const feed = createSseParser((event) => events.push(event))
  for (const chunk of chunks) feed(chunk)
  return events
}

const bytes = (...chunks: (string | Uint8Array)[]) =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks)
        controller.enqueue(typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk)
      controller.close()
    },
  })

afterEach(() => {
  vi.useRealTimers()
})

describe('createSseParser', () => {
  it('reads event and data fields, and defaults the event to message', () => {
    expect(parse('event: status\ndata: {"a":1}\n\ndata: plain\n\n')).toEqual([
      { event: 'status', data: '{"a":1}' },
      { event: 'message', data: 'plain' },
    ])
  })

  it('joins multi-line data with newlines', () => {
    expect(parse('data: one\ndata: two\ndata:\ndata:three\n\n')).toEqual([
      { event: 'message', data: 'one\ntwo\n\nthree' },
    ])
  })

  it('skips comments and events without data, and resets the event name after each event', () => {
    expect(parse(': ping\n\nevent: status\n\n: ping\ndata: x\n\n')).toEqual([{ event: 'message', data: 'x' }])
  })

  it('accepts CRLF and CR line ends', () => {
    expect(parse('event: status\r\ndata: a\r\n\r\ndata: b\r\rdata: c\n\n')).toEqual([
      { event: 'status', data: 'a' },
      { event: 'message', data: 'b' },
      { event: 'message', data: 'c' },
    ])
  })

  it('handles chunks that split a field, a line end or a CRLF pair', () => {
    const stream = 'event: status\r\ndata: {"step":1}\r\n\r\ndata: {"step":2}\n\n'
    const expected = [
      { event: 'status', data: '{"step":1}' },
      { event: 'message', data: '{"step":2}' },
    ]
    for (let cut = 1; cut < stream.length; cut++) {
      expect(parse(stream.slice(0, cut), stream.slice(cut))).toEqual(expected)
    }
    expect(parse(...stream.split(''))).toEqual(expected)
  })

  it('does not take a CR then a lone LF in the next chunk for two line ends', () => {
    expect(parse('data: a\r', '\n', '\n')).toEqual([{ event: 'message', data: 'a' }])
    expect(parse('data: a\r', '', '\n', 'data: b\n\n')).toEqual([{ event: 'message', data: 'a\nb' }])
  })

  it('keeps the value after "field:" whole, removing one leading space only', () => {
    expect(parse('data:  two spaces\nevent:status\n\n')).toEqual([{ event: 'status', data: ' two spaces' }])
  })

  it('drops an unterminated last event', () => {
    expect(parse('data: complete\n\ndata: cut off')).toEqual([{ event: 'message', data: 'complete' }])
  })
})

describe('readEvents', () => {
  it('decodes UTF-8 split across chunks', async () => {
    const encoded = new TextEncoder().encode('data: café ✓\n\n')
    const events: SseEvent[] = []
    for await (const event of readEvents(
      bytes(encoded.slice(0, 10), encoded.slice(10)),
      new AbortController().signal,
      0,
    )) {
      events.push(event)
    }
    expect(events).toEqual([{ event: 'message', data: 'café ✓' }])
  })

  it('rejects when nothing arrives for idleTimeout ms, and cancels the body', async () => {
    useFakeClock()
    const cancel = vi.fn()
    const silent = new ReadableStream<Uint8Array>({ cancel })
    const next = readEvents(silent, new AbortController().signal, 1000).next()
    const settled = next.catch((e) => e)
    await vi.advanceTimersByTimeAsync(999)
    expect(cancel).not.toHaveBeenCalled()
    await vi.advanceTimersByTimeAsync(1)
    expect(await settled).toBeInstanceOf(Error)
    expect(cancel).toHaveBeenCalled()
  })
})

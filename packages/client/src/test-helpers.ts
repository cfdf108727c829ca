import { vi } from 'vitest'

/** What a stubbed fetch answers: a response, an error to throw, or a function of the request. */
export type Reply = Response | Error | ((url: string, init: RequestInit) => Response | Promise<Response>)

/** One call the stub received, with the fake-clock time it arrived. */
export interface StubCall {
  url: string
  method: string
  headers: Headers
  body: unknown
  at: number
}

/** A `fetch` that answers `replies` in order (the last one repeats) and records every call. */
export function fetchStub(...replies: Reply[]) {
  const calls: StubCall[] = []
  const fetch = vi.fn(async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const url = String(input)
    const body = typeof init.body === 'string' ? JSON.parse(init.body) : undefined
    calls.push({ url, method: init.method ?? 'GET', headers: new Headers(init.headers), body, at: Date.now() })
    const reply = replies[Math.min(calls.length, replies.length) - 1]
    if (reply instanceof Error) throw reply
    return typeof reply === 'function' ? reply(url, init) : reply!.clone()
  })
  return Object.assign(fetch as unknown as typeof globalThis.fetch, { calls })
}

/** A JSON response. */
export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } })
}

/** A fetch answer that never comes, and rejects when the request's signal aborts (as a real fetch does). */
export function hang(_url: string, init: RequestInit): Promise<Response> {
  return new Promise((_resolve, reject) => init.signal?.addEventListener('abort', () => reject(init.signal?.reason)))
}

/** A fetch answer that never comes and ignores the signal (some polyfills do). */
export function hangDeaf(): Promise<Response> {
  return new Promise(() => {})
}

/**
 * A `text/event-stream` response that sends `chunks` one by one, then closes, errors with `end` when it is an error,
 * or calls `end` and stays open when it is a function.
 */
export function eventStream(chunks: string[], end?: Error | (() => void)): Response {
  const encoder = new TextEncoder()
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      const chunk = chunks.shift()
      if (chunk !== undefined) controller.enqueue(encoder.encode(chunk))
      else if (end instanceof Error) controller.error(end)
      else if (end) end()
      else controller.close()
    },
  })
  return new Response(body, { headers: { 'content-type': 'text/event-stream', 'x-request-id': 'stream-1' } })
}

const GENERATED_IMAGE = {
  url: 'http://localhost:8787/files/abc.png',
  content_type: 'image/png',
  file_name: 'abc.png',
  file_size: 12043,
  width: 512,
  height: 512,
} as const

/** A generate response as the contract shapes it. */
export const generated = {
  image: GENERATED_IMAGE,
  images: [GENERATED_IMAGE],
  seed: 42,
  timings: { queue_ms: 0.4, inference_ms: 96.2, encode_ms: 1.3, total_ms: 98.7 },
} as const

/** Fakes `setTimeout` and `Date` only, so fetch bodies and streams keep their real scheduling. */
export function useFakeClock(): void {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
}

import { HttpProblem } from '@genimage/core'

/**
 * The request with its body read through a guard: when reading fails (the client hung up mid-upload, or Node cut it
 * off at `REQUEST_TIMEOUT_MS`), the app sees a 499 problem, which it answers without logging an error, and `onAbort`
 * is told once. Requests without a body are returned as they are.
 * @example app.fetch(guardRequestBody(request, () => logger.debug('client closed the request')))
 */
export function guardRequestBody(request: Request, onAbort: () => void): Request {
  if (!request.body) return request
  const reader = request.body.getReader()
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      let chunk: ReadableStreamReadResult<Uint8Array>
      try {
        chunk = await reader.read()
      } catch {
        onAbort()
        controller.error(new HttpProblem(499, 'The client closed the request before sending its whole body'))
        return
      }
      if (chunk.done) controller.close()
      else controller.enqueue(chunk.value)
    },
    cancel: (reason) => reader.cancel(reason),
  })
  const { method, headers, signal, url } = request
  return new Request(url, { method, headers, signal, body, duplex: 'half' } as RequestInit)
}

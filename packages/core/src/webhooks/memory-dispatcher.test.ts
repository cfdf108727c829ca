import { describe, expect, it } from 'vitest'
import { MemoryWebhookDispatcher } from './memory-dispatcher.js'
import type { WebhookAttempt, WebhookDelivery, WebhookEvent } from './port.js'

const delivery: WebhookDelivery = { id: 'req-1', url: 'https://example.com/hook', body: '{"request_id":"req-1"}' }

/** A sender answering from a script (the last answer repeats), recording what it was handed. */
const scripted = (...answers: WebhookAttempt[]) => {
  const sent: WebhookDelivery[] = []
  const send = async (handed: WebhookDelivery): Promise<WebhookAttempt> => {
    sent.push(handed)
    return answers[Math.min(sent.length, answers.length) - 1]!
  }
  return { sent, send }
}

/** Resolves with the events once one of `type` is reported. */
const until = (type: WebhookEvent['type']) => {
  const events: WebhookEvent[] = []
  let done: (value: WebhookEvent[]) => void = () => {}
  const settled = new Promise<WebhookEvent[]>((resolve) => {
    done = resolve
  })
  return {
    settled,
    onEvent: (event: WebhookEvent) => {
      events.push(event)
      if (event.type === type) done(events)
    },
  }
}

const failed = (status: number): WebhookAttempt => ({ ok: false, status, reason: `HTTP ${status}` })
const fast = { firstDelayMs: 2, maxDelayMs: 4, retryForMs: 60_000 }

describe('MemoryWebhookDispatcher', () => {
  it('retries a failed delivery with the same message until a 2xx', async () => {
    const { sent, send } = scripted(failed(500), failed(500), { ok: true, status: 204 })
    const watch = until('delivered')
    const dispatcher = new MemoryWebhookDispatcher({ send, retry: fast, onEvent: watch.onEvent })
    await dispatcher.dispatch(delivery)
    const events = await watch.settled
    expect(sent).toEqual([delivery, delivery, delivery])
    expect(events.map(({ type, attempt, reason }) => ({ type, attempt, reason }))).toEqual([
      { type: 'failed', attempt: 1, reason: 'HTTP 500' },
      { type: 'failed', attempt: 2, reason: 'HTTP 500' },
      { type: 'delivered', attempt: 3, reason: undefined },
    ])
    expect(dispatcher.pending).toBe(0)
  })

  it('gives up after maxAttempts and forgets the delivery', async () => {
    const { sent, send } = scripted(failed(503))
    const watch = until('given_up')
    const dispatcher = new MemoryWebhookDispatcher({ send, retry: { ...fast, maxAttempts: 3 }, onEvent: watch.onEvent })
    await dispatcher.dispatch(delivery)
    const events = await watch.settled
    expect(sent).toHaveLength(3)
    expect(events.at(-1)).toMatchObject({ type: 'given_up', attempt: 3, reason: 'HTTP 503' })
    expect(dispatcher.pending).toBe(0)
  })

  it('takes one delivery per id while it is pending', async () => {
    const { sent, send } = scripted({ ok: true, status: 200 })
    const watch = until('delivered')
    const dispatcher = new MemoryWebhookDispatcher({ send, onEvent: watch.onEvent })
    await Promise.all([dispatcher.dispatch(delivery), dispatcher.dispatch(delivery)])
    await watch.settled
    expect(sent).toHaveLength(1)
  })

  it('on drain, attempts each pending delivery once more, then drops what still fails', async () => {
    const { sent, send } = scripted(failed(500))
    const events: WebhookEvent[] = []
    const dispatcher = new MemoryWebhookDispatcher({
      send,
      retry: { firstDelayMs: 3_600_000, maxDelayMs: 3_600_000 },
      onEvent: (event) => events.push(event),
    })
    await dispatcher.dispatch(delivery)
    await new Promise((resolve) => setTimeout(resolve, 5))
    expect(events.map((event) => event.type)).toEqual(['failed'])
    await dispatcher.drain()
    expect(sent).toHaveLength(2)
    expect(events.map((event) => event.type)).toEqual(['failed', 'dropped'])
    expect(dispatcher.pending).toBe(0)
  })
})

import { afterEach, describe, expect, it, vi } from 'vitest'
import { abortable, attemptClock, linkSignals } from './timeout.js'

describe('linkSignals', () => {
  it('aborts when any of its signals does, and stops listening once unlinked', () => {
    const first = new AbortController()
    const second = new AbortController()
    const linked = linkSignals([first.signal, undefined, second.signal])
    second.abort()
    expect(linked.signal.aborted).toBe(true)
    const unlinked = linkSignals([first.signal, new AbortController().signal])
    unlinked.unlink()
    first.abort()
    expect(unlinked.signal.aborted).toBe(false)
  })

  it('is the one defined signal itself when there is only one', () => {
    const only = new AbortController()
    const linked = linkSignals([undefined, only.signal])
    expect(linked.signal).toBe(only.signal)
    linked.unlink()
    only.abort()
    expect(linked.signal.aborted).toBe(true)
  })

  it('never aborts with no signal', () => {
    expect(linkSignals([undefined, undefined]).signal.aborted).toBe(false)
  })
})

describe('abortable', () => {
  it('settles as the promise does, leaving no listener on the signal', async () => {
    const controller = new AbortController()
    await expect(abortable(Promise.resolve(1), controller.signal)).resolves.toBe(1)
    await expect(abortable(Promise.reject(new Error('lost')), controller.signal)).rejects.toThrow('lost')
    controller.abort(new Error('late'))
    await expect(abortable(Promise.resolve(2), undefined)).resolves.toBe(2)
  })

  it('rejects with the reason as soon as the signal aborts, even if the promise never settles', async () => {
    const controller = new AbortController()
    const pending = abortable(new Promise(() => {}), controller.signal)
    controller.abort(new Error('stop'))
    await expect(pending).rejects.toThrow('stop')
    await expect(abortable(new Promise(() => {}), controller.signal)).rejects.toThrow('stop')
  })
})

describe('attemptClock', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('aborts at the attempt limit when it comes before the deadline, and says so', () => {
    vi.useFakeTimers()
    const clock = attemptClock(undefined, 100, Date.now() + 1000)
    vi.advanceTimersByTime(99)
    expect(clock.signal.aborted).toBe(false)
    vi.advanceTimersByTime(1)
    expect(clock.signal.aborted).toBe(true)
    expect(clock.expired()).toBe('attempt')
  })

  it('aborts at the deadline when it comes first or at the same time, and says so', () => {
    vi.useFakeTimers()
    for (const attemptMs of [0, 500, 1000]) {
      const clock = attemptClock(undefined, attemptMs, Date.now() + 500)
      vi.advanceTimersByTime(500)
      expect(clock.expired(), `attempt limit ${attemptMs}`).toBe('total')
    }
    const late = attemptClock(undefined, 100, Date.now() - 1)
    vi.advanceTimersByTime(0)
    expect(late.expired()).toBe('total')
  })

  it("follows the caller's signal, which is no expired limit, and leaves nothing behind once cleared", () => {
    vi.useFakeTimers()
    const caller = new AbortController()
    const clock = attemptClock(caller.signal, 100, Number.POSITIVE_INFINITY)
    caller.abort()
    expect(clock.signal.aborted).toBe(true)
    expect(clock.expired()).toBeUndefined()
    expect(attemptClock(caller.signal, 0, Number.POSITIVE_INFINITY).signal.aborted).toBe(true)
    const other = new AbortController()
    const cleared = attemptClock(other.signal, 100, Date.now() + 1000)
    cleared.clear()
    other.abort()
    vi.advanceTimersByTime(2000)
    expect(cleared.signal.aborted).toBe(false)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('sets no timer when there is no limit', () => {
    vi.useFakeTimers()
    const clock = attemptClock(undefined, 0, Number.POSITIVE_INFINITY)
    expect(vi.getTimerCount()).toBe(0)
    expect(clock.signal.aborted).toBe(false)
  })
})

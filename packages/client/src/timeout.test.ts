import { describe, expect, it } from 'vitest'
import { abortable, linkSignals } from './timeout.js'

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

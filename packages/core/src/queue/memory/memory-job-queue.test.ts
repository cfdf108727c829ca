import { describe, expect, it } from 'vitest'
import type { BackendJob } from '../../backend.js'
import { MemoryImageStore } from '../../store/memory-store.js'
import { createSyntheticBackend } from '../../synthetic/synthetic-backend.js'
import { resolveGenerateRequest } from '../../validation/generate-request.js'
import type { JobRecord } from '../port.js'
import { MemoryJobQueue } from './memory-job-queue.js'

// A job makes its abort controller, listener set and completion promise only when first needed and drops them when
// it completes (a finished job stays readable for an hour); these tests pin what callers see around that lifecycle.

const owner = 'anonymous'
const request = (prompt: string) => ({ input: resolveGenerateRequest({ prompt }), owner, fingerprint: '' })

/** A synthetic backend whose jobs wait at step 1 until released (or aborted). */
const heldBackend = () => {
  const held: { job: BackendJob; release: () => void }[] = []
  const backend = createSyntheticBackend({
    beforeStep: (job, step) =>
      step === 1
        ? new Promise<void>((resolve) => {
            held.push({ job, release: resolve })
            job.signal.addEventListener('abort', () => resolve(), { once: true })
          })
        : undefined,
  })
  return { backend, held }
}

describe('MemoryJobQueue job lifecycle', () => {
  it('answers waitFor on a completed job with its record, and still rejects an already aborted signal', async () => {
    const queue = new MemoryJobQueue({ backend: createSyntheticBackend(), store: new MemoryImageStore() })
    const job = await queue.submit(request('done'))
    const done = await queue.waitFor(job.id, owner)
    expect(done.outcome).toBe('succeeded')
    expect(await queue.waitFor(job.id, owner)).toEqual(done)
    expect(await queue.waitFor(job.id, owner, new AbortController().signal)).toEqual(done)
    const aborted = new AbortController()
    aborted.abort(new Error('gone'))
    await expect(queue.waitFor(job.id, owner, aborted.signal)).rejects.toThrow('gone')
    expect(await queue.cancel(job.id, owner)).toBe('already_completed')
    await queue.close()
  })

  it('settles every waiter of a running job once it completes, whenever they started waiting', async () => {
    const { backend, held } = heldBackend()
    const queue = new MemoryJobQueue({ backend, store: new MemoryImageStore() })
    const job = await queue.submit(request('waited'))
    const first = queue.waitFor(job.id, owner)
    const second = queue.waitFor(job.id, owner, new AbortController().signal)
    const leaving = new AbortController()
    const third = queue.waitFor(job.id, owner, leaving.signal)
    leaving.abort(new Error('left'))
    await expect(third).rejects.toThrow('left')
    held[0]!.release()
    const [a, b] = await Promise.all([first, second])
    expect(a.outcome).toBe('succeeded')
    expect(b).toEqual(a)
    await queue.close()
  })

  it('tells watchers every change until completion, then nothing; unsubscribing after completion is harmless', async () => {
    const { backend, held } = heldBackend()
    const queue = new MemoryJobQueue({ backend, store: new MemoryImageStore() })
    const job = await queue.submit(request('watched'))
    const seen: JobRecord[] = []
    const unsubscribe = await queue.watch(job.id, owner, (record) => seen.push(record))
    held[0]!.release()
    await queue.waitFor(job.id, owner)
    expect(seen.at(-1)?.state).toBe('COMPLETED')
    expect(seen.filter((record) => record.state === 'COMPLETED')).toHaveLength(1)
    unsubscribe()
    const late: JobRecord[] = []
    await queue.watch(job.id, owner, (record) => late.push(record))
    expect(late.map((record) => record.state)).toEqual(['COMPLETED'])
    await queue.close()
  })

  it('cancels a queued job without running it, and interrupts a running one on its backend', async () => {
    const { backend, held } = heldBackend()
    const queue = new MemoryJobQueue({ backend, store: new MemoryImageStore() })
    const running = await queue.submit(request('running'))
    const queued = await queue.submit(request('queued'))
    expect(await queue.cancel(queued.id, owner)).toBe('cancellation_requested')
    expect((await queue.waitFor(queued.id, owner)).outcome).toBe('cancelled')
    expect(held).toHaveLength(1)
    expect(await queue.cancel(running.id, owner)).toBe('cancellation_requested')
    expect(held[0]!.job.signal.aborted).toBe(true)
    expect((await queue.waitFor(running.id, owner)).outcome).toBe('cancelled')
    expect(held.map(({ job }) => job.input.prompt)).toEqual(['running'])
    await queue.close()
  })

  it('drains jobs nobody waited on yet, and drops them when the grace runs out', async () => {
    const { backend, held } = heldBackend()
    const queue = new MemoryJobQueue({ backend, store: new MemoryImageStore() })
    const job = await queue.submit(request('drained'))
    const draining = queue.drain()
    held[0]!.release()
    expect(await draining).toEqual({ dropped: 0 })
    expect((await queue.get(job.id, owner))?.outcome).toBe('succeeded')

    const other = heldBackend()
    const dropping = new MemoryJobQueue({ backend: other.backend, store: new MemoryImageStore() })
    const stuck = await dropping.submit(request('stuck'))
    expect(await dropping.drain({ graceMs: 1 })).toEqual({ dropped: 1 })
    expect(other.held[0]!.job.signal.aborted).toBe(true)
    expect((await dropping.get(stuck.id, owner))?.error?.kind).toBe('dropped')
  })
})

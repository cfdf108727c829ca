import type { BackendImage } from '@genimage/core'
import { describe, expect, it } from 'vitest'
import { makeJob, STUB_IMAGE } from '../../test/fixtures/comfy-backend-harness.js'
import { type BatchEntry, Batcher, type GroupControl } from './batcher.js'

/** A one-image job, named by its prompt. */
const job = (prompt: string) => makeJob({ prompt }).job

const tick = () => new Promise((resolve) => setImmediate(resolve))

/** A batcher whose prompts the test drives: it reaches each prompt's output node and ends it by hand. */
function drivenBatcher() {
  const prompts: { entries: readonly BatchEntry[]; control: GroupControl; end(): void }[] = []
  const batcher = new Batcher({
    maxBatch: () => 8,
    key: () => 'same',
    run: (entries, control) =>
      new Promise<BackendImage[]>((resolve) => {
        prompts.push({ entries, control, end: () => resolve(entries.map(() => STUB_IMAGE)) })
      }),
  })
  return { batcher, prompts }
}

describe('Batcher', () => {
  it('has no room while a prompt is on the GPU, and says so when it reaches its output node', async () => {
    const { batcher, prompts } = drivenBatcher()
    const said: number[] = []
    batcher.onCapacity(() => said.push(batcher.concurrency))
    void batcher.run(job('a'))
    await tick()
    expect(prompts).toHaveLength(1)
    expect(batcher.concurrency).toBe(1)
    prompts[0]!.control.outputReached()
    // The job it still holds, plus room for a whole batch of 8.
    expect(said).toEqual([9])
  })

  it('queues the next batch in ComfyUI while the running prompt is past the GPU, before it ends', async () => {
    const { batcher, prompts } = drivenBatcher()
    void batcher.run(job('a'))
    await tick()
    const waiting = ['b', 'c', 'd'].map((id) => batcher.run(job(id)))
    await tick()
    expect(prompts).toHaveLength(1)
    prompts[0]!.control.outputReached()
    await tick()
    expect(prompts).toHaveLength(2)
    expect(prompts[1]!.entries.map((entry) => entry.job.input.prompt)).toEqual(['b', 'c', 'd'])
    prompts[0]!.end()
    prompts[1]!.end()
    await expect(Promise.all(waiting)).resolves.toHaveLength(3)
  })

  it('stops telling a listener once it is removed', async () => {
    const { batcher, prompts } = drivenBatcher()
    let told = 0
    const off = batcher.onCapacity(() => {
      told += 1
    })
    off()
    void batcher.run(job('a'))
    await tick()
    prompts[0]!.control.outputReached()
    expect(told).toBe(0)
  })
})

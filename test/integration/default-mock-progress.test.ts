import { createClient } from '@genimage/client'
import { setupGenimageServer } from '@genimage/mocks/node'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'

// The default mock, as the README sets it up: auto mode, no step time.
const baseUrl = 'https://api.genimage.test'
const { server, genimage } = setupGenimageServer({ baseUrl })
const client = createClient({ baseUrl })

beforeAll(() => server.listen({ onUnhandledFrame: 'error' }))
afterEach(() => genimage.reset())
afterAll(() => server.close())

describe('the default mock reports progress', () => {
  it('subscribe() sees every step, in order, then the image', async () => {
    const steps: number[] = []
    const result = await client.subscribe(
      { prompt: 'a progress bar', num_inference_steps: 4 },
      { onProgress: (progress) => steps.push(progress.step) },
    )
    expect(steps).toEqual([0, 1, 2, 3, 4])
    expect(result.image).toMatchObject({ width: 512, height: 512 })
  })

  it('every one of several concurrent subscribers sees all of its steps', async () => {
    const seen = await Promise.all(
      [1, 3, 4].map(async (count) => {
        const steps: number[] = []
        await client.subscribe(
          { prompt: `job of ${count} steps`, num_inference_steps: count },
          { onProgress: (progress) => steps.push(progress.step) },
        )
        return steps.filter((step) => step > 0)
      }),
    )
    expect(seen).toEqual([[1], [1, 2, 3], [1, 2, 3, 4]])
  })

  it('polling sees the job started, then its result', async () => {
    const updates: string[] = []
    await client.subscribe(
      { prompt: 'polled', num_inference_steps: 2 },
      { mode: 'poll', pollInterval: 1, onQueueUpdate: (status) => updates.push(status.status) },
    )
    expect(updates[0]).toBe('IN_PROGRESS')
    expect(updates.at(-1)).toBe('COMPLETED')
  })
})

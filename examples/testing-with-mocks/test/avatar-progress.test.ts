import { createClient } from '@genimage/client'
import { setupGenimageServer } from '@genimage/mocks/node'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createAvatarService } from '../src/avatar-service.js'

// Manual mode: every sampling step waits for `genimage.controls.step()`, so progress is exact, with no timers.
const baseUrl = 'https://genimage.test'
const { server, genimage } = setupGenimageServer({ baseUrl, mode: 'manual' })
const avatars = createAvatarService(createClient({ baseUrl, retry: false }))

beforeAll(() => server.listen({ onUnhandledFrame: 'error' }))
afterEach(async () => {
  await genimage.controls.finish()
  server.resetHandlers()
  genimage.reset()
})
afterAll(() => server.close())

describe('avatar service progress and cancel (manual mode)', () => {
  it('reports the finished fraction after each step the server runs', async () => {
    const progress: number[] = []
    const pending = avatars.create({ name: 'Grace', steps: 4 }, { onProgress: (done) => progress.push(done) })
    // The first report (0: started, nothing done) means the service is following the job; the server waits for us.
    await expect.poll(() => progress).toEqual([0])
    await genimage.controls.step()
    await genimage.controls.step()
    await expect.poll(() => progress.at(-1)).toBe(0.5)
    await genimage.controls.step()
    await genimage.controls.step()
    expect(await pending).toMatchObject({ ok: true, width: 256 })
    expect(progress).toEqual([0, 0.25, 0.5, 0.75, 1])
  })

  it('cancel: aborting mid-generation returns "cancelled" and frees the server', async () => {
    const controller = new AbortController()
    const progress: number[] = []
    const pending = avatars.create(
      { name: 'Grace', steps: 4 },
      { signal: controller.signal, onProgress: (done) => progress.push(done) },
    )
    const held = await genimage.controls.waitForHeld()
    await expect.poll(() => progress).toEqual([0])
    await genimage.controls.step()
    await expect.poll(() => progress.at(-1)).toBe(0.25)
    controller.abort()
    expect(await pending).toEqual({ ok: false, reason: 'cancelled', message: 'Cancelled.' })
    // The cancel reached the mocked server: the job stops being held and the next avatar runs at once.
    await expect.poll(() => genimage.controls.held().some((step) => step.jobId === held.jobId)).toBe(false)
    const next = avatars.create({ name: 'Linus', steps: 1 })
    await genimage.controls.waitForHeld()
    await genimage.controls.step()
    expect(await next).toMatchObject({ ok: true })
  })
})

import { describe, expect, it } from 'vitest'
import { type Backend, BackendError } from '../backend.js'
import { MemoryImageStore } from '../store/memory-store.js'
import { createSyntheticBackend } from '../synthetic/synthetic-backend.js'
import { resolveGenerateRequest } from '../validation/generate-request.js'
import { jobErrors } from './errors.js'
import { runJob } from './runner.js'

const job = { id: 'job-1', input: resolveGenerateRequest({ prompt: 'a fox', seed: 3, width: 256, height: 256 }) }

/** Abort reasons and the error a run fails with for each: a JobError is kept, anything else is a cancel. */
const abortReasons = [
  [jobErrors.dropped(100), jobErrors.dropped(100)],
  [new Error('bye'), jobErrors.cancelled()],
] as const

/** A backend that never finishes until aborted. */
const hanging: Backend = {
  name: 'hanging',
  state: () => 'ready',
  run: ({ signal }) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
}

describe('runJob', () => {
  it('puts the image in the store and returns its key, size and timings, with progress on the way', async () => {
    const store = new MemoryImageStore()
    const steps: number[] = []
    const { images, timings } = await runJob({
      backend: createSyntheticBackend(),
      store,
      job,
      onProgress: (step) => steps.push(step),
    })
    const [image] = images
    expect(images).toHaveLength(1)
    expect(image).toMatchObject({ contentType: 'image/png', width: 256, height: 256 })
    expect((await store.get(image!.key))?.bytes.byteLength).toBe(image!.fileSize)
    expect(steps.at(-1)).toBe(job.input.num_inference_steps)
    expect(timings.inference_ms).toBeGreaterThanOrEqual(0)
  })

  it('stores an image encoded on first read without reading it, answering its known length', async () => {
    const store = new MemoryImageStore()
    let reads = 0
    const bytes = new Uint8Array(7)
    const lazy: Backend = {
      name: 'lazy',
      state: () => 'ready',
      run: async () => ({
        images: [
          {
            key: 'lazy.png',
            contentType: 'image/png',
            width: 256,
            height: 256,
            inferenceMs: 0,
            encodeMs: 0,
            byteLength: bytes.length,
            get bytes() {
              reads += 1
              return bytes
            },
          },
        ],
      }),
    }
    const { images } = await runJob({ backend: lazy, store, job })
    expect(images[0]?.fileSize).toBe(7)
    expect(reads).toBe(0)
    expect((await store.get('lazy.png'))?.bytes).toBe(bytes)
    expect(reads).toBe(1)
  })

  it('stores every image of num_images under its own key', async () => {
    const store = new MemoryImageStore()
    const input = resolveGenerateRequest({ prompt: 'a fox', seed: 3, width: 256, height: 256, num_images: 3 })
    const { images } = await runJob({ backend: createSyntheticBackend(), store, job: { id: 'job-n', input } })
    expect(images).toHaveLength(3)
    expect(new Set(images.map((image) => image.key)).size).toBe(3)
    for (const image of images) expect((await store.get(image.key))?.bytes.byteLength).toBe(image.fileSize)
  })

  it('hands an image-to-image input to the backend from the store, and fails with 422 once it is gone', async () => {
    const store = new MemoryImageStore()
    const bytes = new Uint8Array([1, 2, 3])
    await store.put('in.png', { bytes, contentType: 'image/png' })
    const image = { key: 'in.png', content_type: 'image/png' as const, width: 8, height: 8 }
    const input = {
      ...resolveGenerateRequest({ prompt: 'a fox', seed: 3, width: 256, height: 256 }),
      image,
      strength: 1,
    }
    let seen: unknown
    const synthetic = createSyntheticBackend()
    const spy: Backend = {
      ...synthetic,
      run: (backendJob) => {
        seen = backendJob.inputImage
        return synthetic.run(backendJob)
      },
    }
    await runJob({ backend: spy, store, job: { id: 'job-i', input } })
    expect(seen).toEqual({ bytes, contentType: 'image/png', width: 8, height: 8 })
    const gone = { ...input, image: { ...image, key: 'gone.png' } }
    const error = await runJob({ backend: spy, store, job: { id: 'job-g', input: gone } }).catch((e: unknown) => e)
    expect(error).toMatchObject({ status: 422, kind: 'invalid_input' })
  })

  it('fails with a 504 JobError past timeoutMs, after aborting the backend and calling onTimeout', async () => {
    let timedOut = false
    const error = await runJob({
      backend: hanging,
      store: new MemoryImageStore(),
      job,
      timeoutMs: 20,
      onTimeout: () => {
        timedOut = true
      },
    }).catch((thrown: unknown) => thrown)
    expect(error).toEqual(jobErrors.timedOut(20))
    expect(timedOut).toBe(true)
  })

  it.each(['signal', 'controller'] as const)(
    "fails with the caller's JobError when its %s aborts with one, else as cancelled",
    async (through) => {
      for (const [reason, expected] of abortReasons) {
        const controller = new AbortController()
        const caller = through === 'signal' ? { signal: controller.signal } : { controller }
        const running = runJob({ backend: hanging, store: new MemoryImageStore(), job, ...caller })
        controller.abort(reason)
        await expect(running).rejects.toEqual(expected)
      }
    },
  )

  it("hands the backend the caller's controller's signal, and aborts that controller on timeout", async () => {
    let seen: AbortSignal | undefined
    const watching: Backend = {
      ...hanging,
      run: (backendJob) => {
        seen = backendJob.signal
        return hanging.run(backendJob)
      },
    }
    const controller = new AbortController()
    const running = runJob({ backend: watching, store: new MemoryImageStore(), job, controller, timeoutMs: 20 })
    await expect(running).rejects.toEqual(jobErrors.timedOut(20))
    expect(seen).toBe(controller.signal)
    expect(controller.signal.reason).toEqual(jobErrors.timedOut(20))
  })

  it.each(['signal', 'controller'] as const)(
    "fails at once with the reason's error, without running the backend, when the caller's %s is already aborted",
    async (through) => {
      for (const [reason, expected] of abortReasons) {
        let runs = 0
        const counting: Backend = {
          ...hanging,
          run: (backendJob) => {
            runs += 1
            return hanging.run(backendJob)
          },
        }
        const controller = new AbortController()
        controller.abort(reason)
        const caller = through === 'signal' ? { signal: controller.signal } : { controller }
        await expect(runJob({ backend: counting, store: new MemoryImageStore(), job, ...caller })).rejects.toEqual(
          expected,
        )
        expect(runs).toBe(0)
      }
    },
  )

  it('maps a backend failure to a plain JobError by kind', async () => {
    const failing: Backend = {
      name: 'failing',
      state: () => 'ready',
      run: async () => {
        throw new BackendError('out_of_memory', 'CUDA out of memory')
      },
    }
    await expect(runJob({ backend: failing, store: new MemoryImageStore(), job })).rejects.toEqual({
      status: 502,
      kind: 'out_of_memory',
      message: 'Generation failed, out of GPU memory: CUDA out of memory',
    })
  })
})

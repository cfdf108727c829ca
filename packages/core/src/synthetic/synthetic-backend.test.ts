import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import type { BackendJob } from '../backend.js'
import { resolveGenerateRequest } from '../validation/generate-request.js'
import { encodePng, paintImageToImage, paintLatent } from './images/index.js'
import { createSyntheticBackend } from './synthetic-backend.js'

const job = (body: Record<string, unknown>, signal = new AbortController().signal) => {
  const progress: string[] = []
  const backendJob: BackendJob = {
    id: 'job',
    input: resolveGenerateRequest({ seed: 3, ...body }),
    signal,
    reportProgress: (step, total) => progress.push(`${step}/${total}`),
    log: () => {},
  }
  return { backendJob, progress }
}

const IMAGE = { key: 'abc.png', content_type: 'image/png' as const, width: 64, height: 64 }

describe('createSyntheticBackend', () => {
  it('makes num_images images, image i equal to the one-image request with seed + i', async () => {
    const backend = createSyntheticBackend()
    const { backendJob, progress } = job({ prompt: 'fox', num_images: 4, num_inference_steps: 2 })
    const { images } = await backend.run(backendJob)
    expect(progress).toEqual(['0/2', '1/2', '2/2'])
    expect(images).toHaveLength(4)
    expect(new Set(images.map((image) => image.key)).size).toBe(4)
    for (const [index, image] of images.entries()) {
      const [alone] = (await backend.run(job({ prompt: 'fox', num_inference_steps: 2, seed: 3 + index }).backendJob))
        .images
      expect(image.key).toBe(alone!.key)
      expect(Buffer.from(image.bytes).equals(Buffer.from(alone!.bytes))).toBe(true)
    }
  })

  it('answers image-to-image from the input, the seed and the strength, sampling floor(strength × steps)', async () => {
    const backend = createSyntheticBackend()
    const run = async (image: typeof IMAGE | undefined, strength: number, seed = 3) => {
      const { backendJob, progress } = job({ prompt: 'fox', seed, num_inference_steps: 4 })
      const input = image ? { ...backendJob.input, image, strength } : backendJob.input
      const [result] = (await backend.run({ ...backendJob, input })).images
      return { bytes: Buffer.from(result!.bytes), progress }
    }
    const textOnly = await run(undefined, 1)
    const half = await run(IMAGE, 0.5)
    expect(half.progress).toEqual(['0/2', '1/2', '2/2'])
    expect(half.bytes.equals(textOnly.bytes)).toBe(false)
    expect(half.bytes.equals((await run(IMAGE, 0.5)).bytes)).toBe(true)
    expect(half.bytes.equals((await run({ ...IMAGE, key: 'other.png' }, 0.5)).bytes)).toBe(false)
    expect(half.bytes.equals((await run(IMAGE, 0.75)).bytes)).toBe(false)
    expect(half.bytes.equals((await run(IMAGE, 0.5, 4)).bytes)).toBe(false)
  })

  it('paints the requested size and format, reporting every step', async () => {
    const backend = createSyntheticBackend()
    const { backendJob, progress } = job({
      prompt: 'fox',
      width: 640,
      height: 384,
      num_inference_steps: 3,
      output_format: 'webp',
    })
    const [image] = (await backend.run(backendJob)).images
    expect(progress).toEqual(['0/3', '1/3', '2/3', '3/3'])
    expect(image!.contentType).toBe('image/webp')
    const { format, width, height } = await sharp(image!.bytes).metadata()
    expect({ format, width, height }).toEqual({ format: 'webp', width: 640, height: 384 })
  })

  it('gives identical bytes and key for identical inputs, different ones otherwise', async () => {
    const backend = createSyntheticBackend()
    const [a] = (await backend.run(job({ prompt: 'fox' }).backendJob)).images
    const [b] = (await backend.run(job({ prompt: 'fox' }).backendJob)).images
    const [c] = (await backend.run(job({ prompt: 'fox', seed: 4 }).backendJob)).images
    expect(Buffer.from(b!.bytes).equals(Buffer.from(a!.bytes))).toBe(true)
    expect(b!.key).toBe(a!.key)
    expect(a!.key).toMatch(/^synthetic-[0-9a-f]{16}\.png$/)
    expect(c!.key).not.toBe(a!.key)
    expect(Buffer.from(c!.bytes).equals(Buffer.from(a!.bytes))).toBe(false)
  })

  it('encodes a PNG on its first read, to the bytes of its painting, and knows their length before', async () => {
    const backend = createSyntheticBackend()
    const { backendJob } = job({ prompt: 'fox', width: 320, height: 264, num_images: 2 })
    const images = (await backend.run(backendJob)).images
    for (const [index, image] of images.entries()) {
      const painted = encodePng(paintLatent('fox', 3 + index, 320, 264), 320, 264)
      expect(image.byteLength).toBe(painted.length)
      expect(Buffer.from(image.bytes).equals(Buffer.from(painted))).toBe(true)
      expect(image.bytes).toBe(image.bytes)
    }
    const input = { ...backendJob.input, num_images: 1, image: IMAGE, strength: 0.5 }
    const [blended] = (await backend.run({ ...backendJob, input })).images
    const expected = encodePng(paintImageToImage('fox', 3, 320, 264, IMAGE.key, 0.5), 320, 264)
    expect(blended!.byteLength).toBe(expected.length)
    expect(Buffer.from(blended!.bytes).equals(Buffer.from(expected))).toBe(true)
  })

  it('encodes JPEG and WebP at once, their length being unknown before', async () => {
    const backend = createSyntheticBackend()
    for (const output_format of ['jpeg', 'webp']) {
      const [image] = (await backend.run(job({ prompt: 'fox', output_format }).backendJob)).images
      expect(Object.getOwnPropertyDescriptor(image, 'bytes')?.value).toBeInstanceOf(Uint8Array)
      expect(image!.byteLength).toBeUndefined()
    }
  })

  it('stops with the abort reason when the job is cancelled mid-way', async () => {
    const backend = createSyntheticBackend({ stepMs: 50 })
    const controller = new AbortController()
    const { backendJob, progress } = job({ prompt: 'fox', num_inference_steps: 4 }, controller.signal)
    const running = backend.run(backendJob)
    setTimeout(() => controller.abort(new Error('cancelled by test')), 70)
    await expect(running).rejects.toThrow('cancelled by test')
    expect(progress.length).toBeLessThan(5)
  })

  it('waits for beforeStep so tests can hold a job at a step', async () => {
    let release = () => {}
    const held = new Promise<void>((resolve) => {
      release = resolve
    })
    const backend = createSyntheticBackend({ beforeStep: (_job, step) => (step === 2 ? held : undefined) })
    const { backendJob, progress } = job({ prompt: 'fox', num_inference_steps: 2 })
    const running = backend.run(backendJob)
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(progress).toEqual(['0/2', '1/2'])
    release()
    await running
    expect(progress).toEqual(['0/2', '1/2', '2/2'])
  })
})

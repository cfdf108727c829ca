// Image-to-image through the ComfyUI bridge, proven against the fake: the input picture travels base64 in the
// prompt (GenimageLoadImage), is scaled, encoded and sampled from denoise = strength for floor(strength × steps).
import { type BackendError, encodePng, paintLatent, type ResolvedGenerateRequest } from '@genimage/core'
import type { FakeComfyUI } from '@genimage/fake-comfyui'
import { describe, expect, it } from 'vitest'
import type { ComfyGraph } from '../src/comfyui/index.js'
import { makeJob, startFakeAndBackend } from './fixtures/comfy-backend-harness.js'

const picture = (seed: number) => encodePng(paintLatent('an input picture', seed, 64, 48), 64, 48)

/** A job for `input` with the input picture `bytes` handed over as the runner does. */
function img2imgJob(bytes: Uint8Array, input: Partial<ResolvedGenerateRequest> = {}) {
  const image = { key: `${bytes.length}-input.png`, content_type: 'image/png' as const, width: 64, height: 48 }
  const made = makeJob({ num_inference_steps: 2, strength: 0.5, image, ...input })
  const job = { ...made.job, inputImage: { bytes, contentType: 'image/png' as const, width: 64, height: 48 } }
  return { ...made, job }
}

function prompts(fake: FakeComfyUI): ComfyGraph[] {
  return fake.requests
    .filter((r) => r.method === 'POST' && r.path === '/prompt')
    .map((r) => (r.body as { prompt: ComfyGraph }).prompt)
}

describe('ComfyUI backend: image-to-image', () => {
  it('sends the picture base64 in the prompt, scaled to the size, from denoise = strength for floor(strength × steps)', async () => {
    const { fake, backend } = await startFakeAndBackend({ stepMs: 10 })
    const bytes = picture(1)
    const { job, progress } = img2imgJob(bytes, { width: 768, height: 512, strength: 0.5, num_inference_steps: 4 })
    const { images } = await backend.run(job)
    const [graph] = prompts(fake)
    expect(graph!['40']).toMatchObject({
      class_type: 'GenimageLoadImage',
      inputs: { image: Buffer.from(bytes).toString('base64') },
    })
    expect(graph!['41']).toMatchObject({ class_type: 'ImageScale', inputs: { width: 768, height: 512 } })
    expect(graph!['22']?.inputs).toMatchObject({ steps: 2, denoise: 0.5 })
    expect(graph!['5']).toMatchObject({ class_type: 'RepeatLatentBatch', inputs: { amount: 1 } })
    expect(progress.at(-1)).toEqual([2, 2])
    expect(images.map(({ width, height }) => [width, height])).toEqual([[768, 512]])
  })

  it('answers from the input: another picture or a text-to-image run of the same seed gives other pixels', async () => {
    const { backend } = await startFakeAndBackend({ stepMs: 0 })
    const bytesOf = async (job: ReturnType<typeof makeJob>['job']) =>
      Buffer.from((await backend.run(job)).images[0]!.bytes)
    const first = await bytesOf(img2imgJob(picture(1)).job)
    expect(first.equals(await bytesOf(img2imgJob(picture(1)).job))).toBe(true)
    expect(first.equals(await bytesOf(img2imgJob(picture(2)).job))).toBe(false)
    expect(first.equals(await bytesOf(makeJob({ num_inference_steps: 2 }).job))).toBe(false)
  })

  it('runs num_images of one picture as one prompt (the latent repeated, one seed per image)', async () => {
    const { fake, backend } = await startFakeAndBackend({ stepMs: 10 })
    const { images } = await backend.run(img2imgJob(picture(1), { num_images: 3, seed: 5 }).job)
    expect(images).toHaveLength(3)
    expect(new Set(images.map((image) => Buffer.from(image.bytes).toString('base64'))).size).toBe(3)
    const [graph] = prompts(fake)
    expect(prompts(fake)).toHaveLength(1)
    expect(graph!['5']?.inputs['amount']).toBe(3)
    expect(graph!['13']).toMatchObject({ class_type: 'GenimageBatchSampler', inputs: { seeds: '[5,6,7]' } })
  })

  it('works on the plain path (FAST_PATH=0) too', async () => {
    const { fake, backend } = await startFakeAndBackend({ stepMs: 0 }, { fastPath: false })
    await backend.run(img2imgJob(picture(1)).job)
    const [graph] = prompts(fake)
    expect(Object.values(graph!).map((node) => node.class_type)).not.toContain('GenimageCudaGraph')
    expect(graph!['40']?.class_type).toBe('GenimageLoadImage')
  })

  it('answers 422 (invalid_input) when the picture does not decode in ComfyUI', async () => {
    const { backend } = await startFakeAndBackend({ stepMs: 0 })
    const error = (await backend
      .run(img2imgJob(new Uint8Array([1, 2, 3])).job)
      .catch((e: unknown) => e)) as BackendError
    expect(error).toMatchObject({ name: 'BackendError', kind: 'invalid_input' })
    expect(error.message).toMatch(/input image cannot be decoded/)
  })

  it('refuses image-to-image with 422 when it is turned off', async () => {
    const { backend } = await startFakeAndBackend({ stepMs: 0 }, { imageToImageWorkflowDir: false })
    const error = await backend.run(img2imgJob(picture(1)).job).catch((e: unknown) => e)
    expect(error).toMatchObject({ kind: 'invalid_input', message: /image-to-image is not available/ })
  })
})

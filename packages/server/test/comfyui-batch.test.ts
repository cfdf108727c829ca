import type { BackendResult } from '@genimage/core'
import { FakeComfyUI } from '@genimage/fake-comfyui'
import { describe, expect, it } from 'vitest'
import { type ComfyBackend, type ComfyGraph, createComfyBackend, defaultWorkflowDir } from '../src/comfyui/index.js'
import { closeAfterTest, makeJob, startFakeAndBackend, type TestJob } from './fixtures/comfy-backend-harness.js'

/** The graphs the fake received, in order. */
function prompts(fake: FakeComfyUI): ComfyGraph[] {
  return fake.requests
    .filter((r) => r.method === 'POST' && r.path === '/prompt')
    .map((r) => (r.body as { prompt: ComfyGraph }).prompt)
}

/** What each prompt's `extra_data` asked of the CUDA-graph nodes: 'replay' (no captures) or 'capture' (the default). */
function graphModes(fake: FakeComfyUI): string[] {
  return fake.requests
    .filter((r) => r.method === 'POST' && r.path === '/prompt')
    .map(
      (r) =>
        ((r.body as { extra_data?: Record<string, unknown> }).extra_data?.['genimage_graphs'] as string) ?? 'capture',
    )
}

const batchSize = (graph: ComfyGraph) => graph['5']?.inputs['batch_size']

/** Starts `first` alone and waits until it samples, so the jobs sent next wait for the GPU together. */
async function busyWith(fake: FakeComfyUI, backend: ComfyBackend, first: TestJob) {
  const running = backend.run(first.job)
  await fake.waitFor((e) => e.type === 'node-started' && e.classType === 'SamplerCustom')
  return { running }
}

describe('ComfyUI backend: dynamic batching', () => {
  it('runs a lone request at once, with the workflow as it is', async () => {
    const { fake, backend } = await startFakeAndBackend({ stepMs: 20 })
    await backend.run(makeJob().job)
    const [graph] = prompts(fake)
    expect(batchSize(graph!)).toBe(1)
    expect(graph!['6']?.class_type).toBe('CLIPTextEncode')
    expect(graph!['13']?.class_type).toBe('SamplerCustom')
  })

  it('runs requests that wait for the GPU as one prompt; each image equals the same request alone', async () => {
    const { fake, backend } = await startFakeAndBackend({ stepMs: 100 })
    const { running: first } = await busyWith(fake, backend, makeJob({ num_inference_steps: 2 }))
    const inputs = [0, 1, 2].map((i) => ({ prompt: `a red fox ${i}`, seed: 100 + i, negative_prompt: `blurry ${i}` }))
    const jobs = inputs.map((input) => makeJob(input))
    const batched = await Promise.all(jobs.map(({ job }) => backend.run(job)))
    await first

    const graphs = prompts(fake)
    expect(graphs).toHaveLength(2)
    const batch = graphs[1]!
    expect(batchSize(batch)).toBe(3)
    expect(batch['6']).toMatchObject({ class_type: 'GenimageBatchTextEncode' })
    expect(JSON.parse(String(batch['6']?.inputs['texts']))).toEqual(inputs.map((i) => i.prompt))
    expect(JSON.parse(String(batch['7']?.inputs['texts']))).toEqual(inputs.map((i) => i.negative_prompt))
    expect(batch['13']).toMatchObject({ class_type: 'GenimageBatchSampler' })
    expect(JSON.parse(String(batch['13']?.inputs['seeds']))).toEqual([100, 101, 102])
    expect(batch['13']?.inputs).not.toHaveProperty('noise_seed')
    for (const { logs } of jobs) expect(logs).toContain('runs in one ComfyUI prompt of 3 images (3 requests)')

    for (const [i, input] of inputs.entries()) {
      const alone = (await backend.run(makeJob(input).job)).images[0]!
      expect(Buffer.from(batched[i]!.images[0]!.bytes).equals(Buffer.from(alone.bytes))).toBe(true)
    }
    expect(prompts(fake).slice(2).map(batchSize)).toEqual([1, 1, 1])
  })

  it('keeps requests of different sizes, steps or formats in separate prompts', async () => {
    const { fake, backend } = await startFakeAndBackend({ stepMs: 100 })
    const { running: first } = await busyWith(fake, backend, makeJob())
    await Promise.all(
      [
        makeJob({ seed: 1 }),
        makeJob({ seed: 2, width: 768 }),
        makeJob({ seed: 3, num_inference_steps: 2 }),
        makeJob({ seed: 4, output_format: 'jpeg' }),
        makeJob({ seed: 5 }),
      ].map(({ job }) => backend.run(job)),
    )
    await first
    const later = prompts(fake).slice(1)
    expect(later.map(batchSize).sort()).toEqual([1, 1, 1, 2])
    const pair = later.find((graph) => batchSize(graph) === 2)!
    expect(JSON.parse(String(pair['13']?.inputs['seeds']))).toEqual([1, 5])
  })

  it('takes at most MAX_BATCH requests into one prompt', async () => {
    const { fake, backend } = await startFakeAndBackend({ stepMs: 100 }, { maxBatch: 2 })
    const { running: first } = await busyWith(fake, backend, makeJob())
    await Promise.all([1, 2, 3].map((seed) => backend.run(makeJob({ seed }).job)))
    await first
    expect(prompts(fake).map(batchSize)).toEqual([1, 2, 1])
  })

  it('reports sampler progress to every request of a batch', async () => {
    const { fake, backend } = await startFakeAndBackend({ stepMs: 60 })
    const { running: first } = await busyWith(fake, backend, makeJob())
    const jobs = [makeJob({ seed: 1, num_inference_steps: 3 }), makeJob({ seed: 2, num_inference_steps: 3 })]
    await Promise.all(jobs.map(({ job }) => backend.run(job)))
    await first
    for (const { progress } of jobs)
      expect(progress).toEqual([
        [1, 3],
        [2, 3],
        [3, 3],
      ])
  })

  it('runs the num_images images of one request as one prompt with seeds seed + i, each equal to its seed alone', async () => {
    const { fake, backend } = await startFakeAndBackend({ stepMs: 20 })
    const { job, progress } = makeJob({ num_images: 4, seed: 7, num_inference_steps: 2 })
    const { images } = await backend.run(job)
    const [graph] = prompts(fake)
    expect(prompts(fake)).toHaveLength(1)
    expect(batchSize(graph!)).toBe(4)
    expect(JSON.parse(String(graph!['13']?.inputs['seeds']))).toEqual([7, 8, 9, 10])
    expect(progress.at(-1)).toEqual([2, 2])
    expect(images).toHaveLength(4)
    for (const [i, image] of images.entries()) {
      const [alone] = (await backend.run(makeJob({ seed: 7 + i, num_inference_steps: 2 }).job)).images
      expect(Buffer.from(image.bytes).equals(Buffer.from(alone!.bytes))).toBe(true)
    }
  })

  it('splits the images of one request over prompts of at most maxBatch', async () => {
    const { fake, backend } = await startFakeAndBackend({ stepMs: 20 }, { maxBatch: 2 })
    const { images } = await backend.run(makeJob({ num_images: 3, seed: 1 }).job)
    expect(images).toHaveLength(3)
    expect(prompts(fake).map((graph) => graph['13']?.inputs['seeds'] ?? graph['13']?.inputs['noise_seed'])).toEqual([
      '[1,2]',
      3,
    ])
  })

  it('cancels a request of num_images with all its images, interrupting its prompt', async () => {
    const { fake, backend } = await startFakeAndBackend({ stepMs: 100 })
    const { job, controller } = makeJob({ num_images: 3, num_inference_steps: 4 })
    const run = backend.run(job).catch((error: unknown) => error)
    await fake.waitFor((e) => e.type === 'node-started' && e.classType === 'GenimageBatchSampler')
    const reason = new Error('cancelled by the test')
    controller.abort(reason)
    expect(await run).toBe(reason)
    await fake.waitFor((e) => e.type === 'request' && e.path === '/interrupt')
  })

  it('cancels one request of a batch without failing or interrupting the others', async () => {
    const { fake, backend } = await startFakeAndBackend({ stepMs: 100 })
    const { running: first } = await busyWith(fake, backend, makeJob())
    const jobs = [makeJob({ seed: 1, num_inference_steps: 3 }), makeJob({ seed: 2, num_inference_steps: 3 })]
    const runs = jobs.map(({ job }) => backend.run(job).catch((error: unknown) => error))
    await fake.waitFor((e) => e.type === 'node-started' && e.classType === 'GenimageBatchSampler')
    const reason = new Error('cancelled by the test')
    jobs[0]!.controller.abort(reason)

    expect(await runs[0]).toBe(reason)
    const kept = (await runs[1]) as BackendResult
    expect(kept.images.map((image) => image.contentType)).toEqual(['image/png'])
    await first
    expect(fake.count('POST', '/interrupt')).toBe(0)
  })

  it('interrupts the prompt once every request of its batch is cancelled', async () => {
    const { fake, backend } = await startFakeAndBackend({ stepMs: 100 })
    const { running: first } = await busyWith(fake, backend, makeJob())
    const jobs = [makeJob({ seed: 1, num_inference_steps: 4 }), makeJob({ seed: 2, num_inference_steps: 4 })]
    const runs = jobs.map(({ job }) => backend.run(job).catch((error: unknown) => error))
    await fake.waitFor((e) => e.type === 'node-started' && e.classType === 'GenimageBatchSampler')
    for (const { controller } of jobs) controller.abort(new Error('gone'))

    for (const run of runs) expect(await run).toBeInstanceOf(Error)
    await fake.waitFor((e) => e.type === 'request' && e.path === '/interrupt')
    await first
  })

  it('drops a request cancelled while it waits, before any prompt is built for it', async () => {
    const { fake, backend } = await startFakeAndBackend({ stepMs: 100 })
    const { running: first } = await busyWith(fake, backend, makeJob({ num_inference_steps: 2 }))
    const gone = makeJob({ seed: 1 })
    const run = backend.run(gone.job).catch((error: unknown) => error)
    const reason = new Error('changed my mind')
    gone.controller.abort(reason)
    expect(await run).toBe(reason)
    await first
    expect(prompts(fake)).toHaveLength(1)
  })

  it('runs one request per prompt when the workflow cannot batch (stock SaveImageWebsocket output)', async () => {
    const { fake, backend } = await startFakeAndBackend(
      { stepMs: 100 },
      { workflowDir: defaultWorkflowDir('sdxl-turbo-png') },
    )
    expect(backend.concurrency).toBe(1)
    const { running: first } = await busyWith(fake, backend, makeJob())
    const images = await Promise.all([1, 2, 3].map((seed) => backend.run(makeJob({ seed }).job)))
    await first
    expect(images.map(({ images: [image] }) => image?.contentType)).toEqual(['image/png', 'image/png', 'image/png'])
    expect(prompts(fake).map(batchSize)).toEqual([1, 1, 1, 1])
  })

  it('lets the queue hand over a batch only while nothing of ours is on the GPU', async () => {
    const { fake, backend } = await startFakeAndBackend({ stepMs: 100 }, { maxBatch: 4 })
    expect(backend.concurrency).toBe(4)
    const { running: first } = await busyWith(fake, backend, makeJob())
    expect(backend.concurrency).toBe(1)
    await first
    expect(backend.concurrency).toBe(4)
  })
})

describe('ComfyUI backend: fast and plain path, warm-up', () => {
  it('runs the default workflow with its CUDA-graph nodes and fast encoders', async () => {
    const { fake, backend } = await startFakeAndBackend()
    await backend.run(makeJob().job)
    const [graph] = prompts(fake)
    expect(graph!['30']?.class_type).toBe('GenimageCudaGraph')
    expect(graph!['31']?.class_type).toBe('GenimageCudaGraphClip')
    expect(graph!['13']?.inputs['model']).toEqual(['30', 0])
    expect(graph!['8']?.inputs['vae']).toEqual(['34', 0])
    expect(graph!['34']).toMatchObject({ class_type: 'GenimageCudaGraphVae', inputs: { vae: ['33', 0] } })
    expect(graph!['27']?.inputs).not.toHaveProperty('fast')
  })

  it('FAST_PATH off: bypasses the CUDA-graph nodes and asks GenimageOutput for its plain encoders', async () => {
    const { fake, backend } = await startFakeAndBackend({}, { fastPath: false })
    await backend.run(makeJob().job)
    const [graph] = prompts(fake)
    expect(Object.values(graph!).map((node) => node.class_type)).not.toContain('GenimageCudaGraph')
    expect(Object.values(graph!).map((node) => node.class_type)).not.toContain('GenimageCudaGraphClip')
    expect(Object.values(graph!).map((node) => node.class_type)).not.toContain('GenimageCudaGraphVae')
    expect(graph!['13']?.inputs['model']).toEqual(['20', 0])
    // The fp16 text encoders are a precision choice, not a fast-path shortcut: the plain path keeps them.
    expect(graph!['6']?.inputs['clip']).toEqual(['32', 0])
    expect(graph!['32']).toMatchObject({ class_type: 'GenimageClipFp16', inputs: { clip: ['20', 1] } })
    // So is the decoder's GPU-wide GroupNorm: the decode reads it directly once the VAE's CUDA graph is bypassed.
    expect(graph!['8']?.inputs['vae']).toEqual(['33', 0])
    expect(graph!['33']).toMatchObject({ class_type: 'GenimageVaeGroupNorm', inputs: { vae: ['20', 2] } })
    expect(graph!['27']?.inputs['fast']).toBe(false)
  })

  it('warms the first size before ready without captures, then captures every size and batch bucket', async () => {
    const fake = await FakeComfyUI.start({ stepMs: 5 })
    closeAfterTest(() => fake.close())
    const backend = createComfyBackend({
      baseUrl: fake.url,
      maxBatch: 4,
      warmSizes: [
        { width: 512, height: 512 },
        { width: 768, height: 512 },
      ],
    })
    closeAfterTest(() => backend.close())
    await backend.start()
    expect(prompts(fake)).toHaveLength(1)
    await backend.warmedUp()
    const warmed = prompts(fake).map((graph) => [graph['5']?.inputs['width'], graph['5']?.inputs['batch_size']])
    expect(warmed).toEqual([
      [512, 1],
      [512, 1],
      [512, 2],
      [512, 4],
      [768, 1],
      [768, 2],
      [768, 4],
    ])
    // Before `ready` the models load and run once eager; the captures (≈ 1 s at 512²) come after it.
    expect(graphModes(fake)).toEqual(['replay', 'capture', 'capture', 'capture', 'capture', 'capture', 'capture'])
  })

  it('serves a request sent as soon as ready before any warm-up prompt, and warms up once it is quiet', async () => {
    const fake = await FakeComfyUI.start({ stepMs: 5 })
    closeAfterTest(() => fake.close())
    const backend = createComfyBackend({ baseUrl: fake.url, maxBatch: 2, warmSizes: [{ width: 512, height: 512 }] })
    closeAfterTest(() => backend.close())
    await backend.start()
    await backend.run(makeJob({ prompt: 'first user request', width: 768 }).job)
    await backend.warmedUp()
    const order = prompts(fake).map((graph) => [
      graph['6']?.inputs['text'] ?? 'batch',
      graph['5']?.inputs['batch_size'],
    ])
    expect(order).toEqual([
      ['warm-up', 1],
      ['first user request', 1],
      ['warm-up', 1],
      ['batch', 2],
    ])
    // The request at `ready` replays the graphs there are and captures none: it never waits for a capture.
    expect(graphModes(fake)).toEqual(['replay', 'replay', 'capture', 'capture'])
  })

  it('lets requests capture graphs once the warm-up after ready is over', async () => {
    const fake = await FakeComfyUI.start({ stepMs: 5 })
    closeAfterTest(() => fake.close())
    const backend = createComfyBackend({ baseUrl: fake.url, maxBatch: 1, warmSizes: [{ width: 512, height: 512 }] })
    closeAfterTest(() => backend.close())
    await backend.start()
    await backend.warmedUp()
    await backend.run(makeJob({ prompt: 'after the warm-up', width: 640 }).job)
    expect(prompts(fake).at(-1)?.['6']?.inputs['text']).toBe('after the warm-up')
    expect(graphModes(fake).at(-1)).toBe('capture')
  })

  it('closes the eager window after eagerWindowMs on a server too busy for the warm-up after ready', async () => {
    const fake = await FakeComfyUI.start({ stepMs: 5 })
    closeAfterTest(() => fake.close())
    const backend = createComfyBackend({
      baseUrl: fake.url,
      maxBatch: 1,
      warmSizes: [{ width: 512, height: 512 }],
      // No gap is ever long enough for the warm-up after ready: it stands for a server under steady load.
      warmIdleMs: 60_000,
      eagerWindowMs: 300,
    })
    closeAfterTest(() => backend.close())
    await backend.start()
    await backend.run(makeJob({ prompt: 'inside the window' }).job)
    await new Promise((resolve) => setTimeout(resolve, 400))
    await backend.run(makeJob({ prompt: 'after the window' }).job)
    expect(prompts(fake).map((graph) => graph['6']?.inputs['text'])).toEqual([
      'warm-up',
      'inside the window',
      'after the window',
    ])
    expect(graphModes(fake)).toEqual(['replay', 'replay', 'capture'])
  })
})

import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BackendError } from '@genimage/core'
import { FakeComfyUI, type FakeEvent } from '@genimage/fake-comfyui'
import sharp from 'sharp'
import { describe, expect, it, vi } from 'vitest'
import { type ComfyGraph, createComfyBackend, defaultWorkflowDir } from '../src/comfyui/index.js'
import { closeAfterTest, makeJob, startFakeAndBackend } from './fixtures/comfy-backend-harness.js'

const isRequest =
  (method: string, path: string, body?: (body: Record<string, unknown>) => boolean) =>
  (event: FakeEvent): boolean =>
    event.type === 'request' &&
    event.method === method &&
    event.path === path &&
    (!body || body((event.body ?? {}) as Record<string, unknown>))

/** Prompt ids the fake received, in order. */
function submittedIds(fake: FakeComfyUI): string[] {
  return fake.requests
    .filter((r) => r.method === 'POST' && r.path === '/prompt')
    .map((r) => (r.body as { prompt_id: string }).prompt_id)
}

function deleted(list: unknown, id: string): boolean {
  return Array.isArray(list) && list.includes(id)
}

async function copyWorkflow(edit: (graph: ComfyGraph, bindings: Record<string, unknown>) => void) {
  const dir = await mkdtemp(join(tmpdir(), 'genimage-workflow-'))
  closeAfterTest(() => rm(dir, { recursive: true, force: true }))
  await cp(defaultWorkflowDir(), dir, { recursive: true })
  const graph = JSON.parse(await readFile(join(dir, 'workflow.json'), 'utf8'))
  const bindings = JSON.parse(await readFile(join(dir, 'bindings.json'), 'utf8'))
  edit(graph, bindings)
  await writeFile(join(dir, 'workflow.json'), JSON.stringify(graph))
  await writeFile(join(dir, 'bindings.json'), JSON.stringify(bindings))
  return dir
}

describe('ComfyUI backend against the fake ComfyUI', () => {
  it.each([
    ['png', 'png'],
    ['jpeg', 'jpeg'],
    ['webp', 'webp'],
  ] as const)('returns a decodable %s image of the requested size', async (format, sharpFormat) => {
    const { fake, backend } = await startFakeAndBackend()
    const { job } = makeJob({ output_format: format, width: 640, height: 384, seed: 7, prompt: 'a red fox' })
    const image = (await backend.run(job)).images[0]!

    expect(image.contentType).toBe(`image/${format}`)
    const meta = await sharp(Buffer.from(image.bytes)).metadata()
    expect(meta.format).toBe(sharpFormat)
    expect([meta.width, meta.height]).toEqual([640, 384])
    expect([image.width, image.height]).toEqual([640, 384])

    // The request went into the graph through bindings.json.
    const body = fake.requests.find((r) => r.path === '/prompt')?.body as {
      prompt: Record<string, { inputs: Record<string, unknown> }>
      client_id: string
    }
    expect(body.client_id).toBe(backend.client.clientId)
    expect(body.prompt['6']?.inputs['text']).toBe('a red fox')
    expect(body.prompt['13']?.inputs['noise_seed']).toBe(7)
    expect(body.prompt['5']?.inputs).toMatchObject({ width: 640, height: 384 })
    expect(body.prompt['27']?.inputs['format']).toBe(format)
  })

  it('reports progress once per sampler step', async () => {
    const { backend } = await startFakeAndBackend()
    const { job, progress } = makeJob({ num_inference_steps: 3 })
    await backend.run(job)
    expect(progress).toEqual([
      [1, 3],
      [2, 3],
      [3, 3],
    ])
  })

  it('deletes its history entries after use', async () => {
    const { fake, backend } = await startFakeAndBackend()
    await backend.run(makeJob().job)
    const [id] = submittedIds(fake)
    await fake.waitFor(isRequest('POST', '/history', (b) => deleted(b['delete'], id!)))
    await fake.waitFor((e) => e.type === 'prompt-finished' && e.promptId === id)
    expect(fake.history.size).toBe(0)
  })

  it('maps a node exception to execution_failed naming the node, its class and the exception', async () => {
    const { fake, backend } = await startFakeAndBackend({
      faults: { nodeError: { node: '8', message: 'VAE exploded' } },
    })
    const error = await backend.run(makeJob().job).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(BackendError)
    expect((error as BackendError).kind).toBe('execution_failed')
    expect((error as BackendError).message).toBe('ComfyUI node 8 (VAEDecode) failed: RuntimeError: VAE exploded')
    await fake.waitFor(isRequest('POST', '/history', (b) => deleted(b['delete'], submittedIds(fake)[0]!)))
  })

  it('maps a CUDA out-of-memory to out_of_memory', async () => {
    const { backend } = await startFakeAndBackend({ faults: { oom: {} } })
    const error = (await backend.run(makeJob().job).catch((e: unknown) => e)) as BackendError
    expect(error.kind).toBe('out_of_memory')
    expect(error.message).toMatch(
      /^ComfyUI ran out of GPU memory in node 13 \(SamplerCustom\): torch\.OutOfMemoryError: /,
    )
  })

  it('cancels a job still queued in ComfyUI with POST /queue {delete} and rejects with the abort reason', async () => {
    // No batching: the second prompt is queued in ComfyUI while the first samples.
    const { fake, backend } = await startFakeAndBackend({ stepMs: 100 }, { maxBatch: 1 })
    const first = makeJob({ num_inference_steps: 4 })
    const firstRun = backend.run(first.job)
    await fake.waitFor((e) => e.type === 'node-started' && e.classType === 'SamplerCustom')
    const second = makeJob()
    const secondRun = backend.run(second.job)
    const secondRunResult = secondRun.catch((e: unknown) => e)
    await fake.waitFor(() => submittedIds(fake).length === 2 && fake.queue.pending.length === 1)
    const secondId = submittedIds(fake)[1]!

    const reason = new Error('cancelled by the test')
    second.controller.abort(reason)

    expect(await secondRunResult).toBe(reason)
    await fake.waitFor(isRequest('POST', '/queue', (b) => deleted(b['delete'], secondId)))
    expect(fake.queue.pending).toHaveLength(0)
    expect(fake.count('POST', '/interrupt')).toBe(0)
    await firstRun
    expect(fake.events.some((e) => e.type === 'prompt-started' && e.promptId === secondId)).toBe(false)
  })

  it('cancels a running job with a targeted POST /interrupt and rejects with the abort reason', async () => {
    const { fake, backend } = await startFakeAndBackend({ stepMs: 100 })
    const { job, controller } = makeJob({ num_inference_steps: 4 })
    const result = backend.run(job).catch((e: unknown) => e)
    await fake.waitFor((e) => e.type === 'node-started' && e.classType === 'SamplerCustom')
    const [id] = submittedIds(fake)

    const reason = new DOMException('job cancelled', 'AbortError')
    controller.abort(reason)

    expect(await result).toBe(reason)
    await fake.waitFor(isRequest('POST', '/interrupt', (b) => b['prompt_id'] === id))
    const finished = await fake.waitFor((e) => e.type === 'prompt-finished' && e.promptId === id)
    expect(finished).toMatchObject({ status: 'interrupted' })
    // Its history entry is removed once ComfyUI is done with it.
    await fake.waitFor(isRequest('POST', '/history', (b) => deleted(b['delete'], id!)))
    expect(fake.history.has(id!)).toBe(false)
  })

  it('treats an interrupt it did not ask for as unavailable', async () => {
    const { fake, backend } = await startFakeAndBackend({ stepMs: 100 })
    const result = backend.run(makeJob({ num_inference_steps: 4 }).job).catch((e: unknown) => e)
    await fake.waitFor((e) => e.type === 'node-started' && e.classType === 'SamplerCustom')
    await fetch(`${fake.url}/interrupt`, { method: 'POST' })
    const error = (await result) as BackendError
    expect(error).toBeInstanceOf(BackendError)
    expect(error.kind).toBe('unavailable')
    expect(error.message).toContain('node 13 (SamplerCustom)')
  })

  it('pipelines: ComfyUI receives the second prompt before the first finishes', async () => {
    const { fake, backend } = await startFakeAndBackend({ stepMs: 50 }, { maxBatch: 1 })
    const [a, b] = await Promise.all([
      backend.run(makeJob({ num_inference_steps: 3, seed: 1 }).job),
      backend.run(makeJob({ num_inference_steps: 3, seed: 2 }).job),
    ])
    expect(a.images[0]!.bytes.length).toBeGreaterThan(0)
    expect(b.images[0]!.bytes.length).toBeGreaterThan(0)
    const [first] = submittedIds(fake)
    const secondSubmitted = fake.events.findIndex(
      (e, i) => isRequest('POST', '/prompt')(e) && fake.events.slice(0, i).some(isRequest('POST', '/prompt')),
    )
    const firstFinished = fake.events.findIndex((e) => e.type === 'prompt-finished' && e.promptId === first)
    expect(secondSubmitted).toBeGreaterThan(-1)
    expect(secondSubmitted).toBeLessThan(firstFinished)
  })

  it('survives a WebSocket drop mid-sampling: reconnects, reconciles, and completes without resubmitting', async () => {
    const { fake, backend } = await startFakeAndBackend({
      stepMs: 60,
      faults: { dropWebSockets: { node: 'SamplerCustom', step: 1 } },
    })
    const { job, progress } = makeJob({ num_inference_steps: 4 })
    const image = (await backend.run(job)).images[0]!

    expect((await sharp(Buffer.from(image.bytes)).metadata()).width).toBe(512)
    expect(fake.events.some((e) => e.type === 'fault' && e.kind === 'dropWebSockets')).toBe(true)
    const connects = fake.events.filter((e) => e.type === 'ws-connected' && e.clientId === backend.client.clientId)
    expect(connects.length).toBeGreaterThanOrEqual(2)
    // Reconciled through /queue (it was still running), so it was not resubmitted.
    expect(fake.count('GET', '/queue')).toBeGreaterThanOrEqual(1)
    expect(submittedIds(fake)).toHaveLength(1)
    // Steps reported after the drop still arrive (step 1 may be lost with the socket).
    expect(progress.at(-1)).toEqual([4, 4])
  })

  it('recovers a prompt whose image frame and completion were lost while disconnected, by resubmitting it', async () => {
    const { fake, backend } = await startFakeAndBackend({ faults: { dropWebSockets: { node: '27', keepOut: true } } })
    const run = backend.run(makeJob().job)
    run.catch(() => {})
    await fake.waitFor(isRequest('POST', '/prompt'))
    const [firstId] = submittedIds(fake)
    await fake.waitFor((e) => e.type === 'prompt-finished' && e.promptId === firstId)
    expect(fake.history.get(firstId!)?.status.status_str).toBe('success')

    fake.setAcceptWebSockets(true)
    const image = (await run).images[0]!

    expect(image.contentType).toBe('image/png')
    // After the reconnect: not in /queue, in /history but with no image → resubmitted under a new id.
    expect(fake.count('GET', `/history/${firstId}`)).toBeGreaterThanOrEqual(1)
    const ids = submittedIds(fake)
    expect(ids).toHaveLength(2)
    expect(ids[1]).not.toBe(firstId)
    await fake.waitFor(
      isRequest('POST', '/history', (b) => deleted(b['delete'], firstId!) && deleted(b['delete'], ids[1]!)),
    )
  })

  it('gets the image through /history and /view for a SaveImage workflow (a new folder, no code)', async () => {
    const dir = await copyWorkflow((graph, bindings) => {
      graph['27'] = { class_type: 'SaveImage', inputs: { images: ['8', 0], filename_prefix: 'genimage/test' } }
      delete bindings['output_format']
    })
    const { fake, backend } = await startFakeAndBackend({}, { workflowDir: dir })
    expect(backend.workflow()?.formats).toEqual(['png'])
    const image = (await backend.run(makeJob({ width: 256, height: 320 }).job)).images[0]!
    expect(await sharp(Buffer.from(image.bytes)).metadata()).toMatchObject({ format: 'png', width: 256, height: 320 })
    expect(fake.requests.some((r) => r.path === '/view' && r.query.includes('subfolder=genimage'))).toBe(true)

    const webp = await backend.run(makeJob({ output_format: 'webp' }).job).catch((e: unknown) => e)
    expect(webp).toMatchObject({ kind: 'invalid_input' })
  })

  it.each([
    ['type-4 frames (feature flags on)', true],
    ['type-1 frames, attributed to the executing node (feature flags off)', false],
  ])('works with stock SaveImageWebsocket (the shipped sdxl-turbo-png workflow): %s', async (_name, featureFlags) => {
    const { fake, backend } = await startFakeAndBackend(
      {},
      { workflowDir: defaultWorkflowDir('sdxl-turbo-png'), featureFlags },
    )
    const image = (await backend.run(makeJob({ width: 768, height: 512 }).job)).images[0]!
    expect(await sharp(Buffer.from(image.bytes)).metadata()).toMatchObject({ format: 'png', width: 768, height: 512 })
    expect(fake.count('GET', '/view')).toBe(0)
    expect(fake.count('GET', '/history/' + submittedIds(fake)[0])).toBe(0)
  })

  it('notices a deaf WebSocket (ComfyUI forgot it, the socket stays open), reconnects and completes', async () => {
    const { fake, backend } = await startFakeAndBackend({ stepMs: 30 })
    const run = backend.run(makeJob({ num_inference_steps: 3 }).job)
    await fake.waitFor((e) => e.type === 'node-started' && e.classType === 'SamplerCustom')
    fake.forgetWebSockets()
    const image = (await run).images[0]!
    expect(image.bytes.length).toBeGreaterThan(0)
    const connects = fake.events.filter((e) => e.type === 'ws-connected' && e.clientId === backend.client.clientId)
    expect(connects).toHaveLength(2)
    // The first attempt finished unheard; found in /history without its frame, it was resubmitted.
    expect(submittedIds(fake)).toHaveLength(2)
  })

  it('reports ComfyUI unhealthy when a cancelled prompt ignores its interrupt (a hung node)', async () => {
    const { fake, backend } = await startFakeAndBackend(
      { faults: { hang: { node: 'SamplerCustom' } } },
      { interruptGraceMs: 300 },
    )
    const reasons: string[] = []
    backend.onUnhealthy((reason) => reasons.push(reason))
    const { job, controller } = makeJob()
    const result = backend.run(job).catch((e: unknown) => e)
    await fake.waitFor((e) => e.type === 'fault' && e.kind === 'hang')
    const [id] = submittedIds(fake)
    const reason = new Error('deadline passed')
    controller.abort(reason)
    expect(await result).toBe(reason)
    await fake.waitFor(isRequest('POST', '/interrupt', (b) => b['prompt_id'] === id))
    await vi.waitFor(() => expect(reasons).toHaveLength(1), { timeout: 5000 })
    expect(reasons[0]).toBe(`prompt ${id} still running 300 ms after its interrupt`)
    expect(fake.queue.running?.promptId).toBe(id)
  })

  it('fails jobs as unavailable and reports unhealthy when ComfyUI stays away past the outage timeout', async () => {
    const { fake, backend } = await startFakeAndBackend({ faults: { crash: {} } }, { outageTimeoutMs: 300 })
    const reasons: string[] = []
    backend.onUnhealthy((reason) => reasons.push(reason))
    const error = (await backend.run(makeJob().job).catch((e: unknown) => e)) as BackendError
    expect(fake.events.some((e) => e.type === 'crashed')).toBe(true)
    expect(error).toBeInstanceOf(BackendError)
    expect(error.kind).toBe('unavailable')
    expect(error.message).toMatch(/^ComfyUI unreachable for \d+ ms$/)
    expect(reasons).toEqual([error.message])
    expect(backend.state()).toBe('restarting')
  })

  it('keeps a job across a ComfyUI crash and restart: resubmits it and resolves the original run()', async () => {
    const { fake, backend } = await startFakeAndBackend({ faults: { crash: { node: 'SamplerCustom' } } })
    const run = backend.run(makeJob({ prompt: 'survivor' }).job)
    run.catch(() => {})
    await fake.waitFor((e) => e.type === 'crashed')
    backend.markRestarting('test crash')
    expect(backend.state()).toBe('restarting')

    await fake.restart()
    await backend.markRestarted()
    const image = (await run).images[0]!

    expect(image.bytes.length).toBeGreaterThan(0)
    expect(backend.state()).toBe('ready')
    const ids = submittedIds(fake)
    expect(ids).toHaveLength(2)
    await fake.waitFor(isRequest('POST', '/history', (b) => deleted(b['delete'], ids[1]!)))
    expect(fake.history.size).toBe(0)
  })

  it('fails start() with a message naming an invalid binding', async () => {
    const dir = await copyWorkflow((_graph, bindings) => {
      bindings['seed'] = ['13', 'noise_seed2']
    })
    const fake = await FakeComfyUI.start()
    closeAfterTest(() => fake.close())
    const backend = createComfyBackend({ baseUrl: fake.url, workflowDir: dir, warmup: false })
    closeAfterTest(() => backend.close())
    const error = (await backend.start().catch((e: unknown) => e)) as Error
    expect(error.message).toContain(
      'bindings.json: "seed" → ["13","noise_seed2"]: SamplerCustom has no input "noise_seed2" (inputs: model, add_noise, noise_seed, cfg,',
    )
    expect(backend.state()).toBe('stopped')
  })

  it('waits for ComfyUI to boot, warms up, then reports ready', async () => {
    const fake = await FakeComfyUI.start({ bootDelayMs: 300, bootMode: '503', modelLoadMs: 50 })
    closeAfterTest(() => fake.close())
    const backend = createComfyBackend({ baseUrl: fake.url, warmSizes: [{ width: 512, height: 512 }], maxBatch: 1 })
    closeAfterTest(() => backend.close())
    expect(backend.state()).toBe('starting')
    await backend.start()
    expect(backend.state()).toBe('ready')
    const prompts = fake.requests.filter((r) => r.path === '/prompt')
    expect(prompts).toHaveLength(1)
    const body = prompts[0]!.body as { prompt: ComfyGraph }
    expect(body.prompt['6']?.inputs['text']).toBe('warm-up')
    expect(fake.events.some((e) => e.type === 'prompt-finished')).toBe(true)
  })
})

// The fake as a client of ComfyUI sees it: message order, binary frames, validation, queue, errors, routes, lifecycle.
import { readFile } from 'node:fs/promises'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import {
  BINARY_EVENT,
  FakeComfyUI,
  type FakeComfyUIOptions,
  type PromptGraph,
  type PromptNode,
  SEQUENCES,
} from '../src/index.js'

const fakes: FakeComfyUI[] = []
const sockets: WebSocket[] = []
afterEach(async () => {
  for (const ws of sockets.splice(0)) ws.terminate()
  for (const fake of fakes.splice(0)) await fake.close()
})

async function start(options: FakeComfyUIOptions = {}): Promise<FakeComfyUI> {
  const fake = await FakeComfyUI.start(options)
  fakes.push(fake)
  await fake.booted
  return fake
}

/** ComfyUI's SDXL Turbo example workflow in API format (`test/fixtures/sdxl-turbo.json`) with a given output node. */
async function tutorial(output: PromptNode): Promise<PromptGraph> {
  const graph = JSON.parse(
    await readFile(new URL('./fixtures/sdxl-turbo.json', import.meta.url), 'utf8'),
  ) as PromptGraph
  graph['27'] = output
  return graph
}

/** A binary frame as a client reads it: event type, then the image (and, for types 4 and GENI, JSON metadata). */
function decodeFrame(frame: Buffer) {
  const event = frame.readUInt32BE(0)
  if (event === BINARY_EVENT.PREVIEW_IMAGE) {
    return { event, contentType: frame.readUInt32BE(4) === 1 ? 'image/jpeg' : 'image/png', bytes: frame.subarray(8) }
  }
  const length = frame.readUInt32BE(4)
  const metadata = JSON.parse(frame.subarray(8, 8 + length).toString()) as Record<string, unknown>
  return {
    event,
    contentType: metadata['content_type'] ?? metadata['image_type'],
    promptId: metadata['prompt_id'],
    nodeId: metadata['node_id'],
    metadata,
    bytes: frame.subarray(8 + length),
  }
}

/** Connects a raw client and records what it hears: JSON as `type` (+ node), binary frames as `binary:<event>`. */
async function listen(fake: FakeComfyUI, clientId: string, featureFlags = false) {
  const heard: string[] = []
  const messages: { type: string; data: Record<string, unknown> }[] = []
  const frames: Buffer[] = []
  const ws = new WebSocket(`${fake.url.replace('http', 'ws')}/ws?clientId=${clientId}`)
  sockets.push(ws)
  ws.on('message', (data: Buffer, isBinary) => {
    if (isBinary) {
      frames.push(data)
      heard.push(`binary:${data.readUInt32BE(0)}`)
      return
    }
    const message = JSON.parse(data.toString())
    messages.push(message)
    const node = message.type === 'executing' || message.type === 'progress' ? `:${message.data.node}` : ''
    heard.push(`${message.type}${node}`)
  })
  await new Promise((resolve) => ws.once('open', resolve))
  if (featureFlags) ws.send(JSON.stringify({ type: 'feature_flags', data: { supports_preview_metadata: true } }))
  return { ws, heard, messages, frames }
}

async function post(fake: FakeComfyUI, path: string, body?: unknown) {
  const response = await fetch(`${fake.url}${path}`, {
    method: 'POST',
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  const text = await response.text()
  return { status: response.status, json: text ? JSON.parse(text) : undefined }
}

async function get(fake: FakeComfyUI, path: string) {
  const response = await fetch(`${fake.url}${path}`)
  return { status: response.status, json: await response.json().catch(() => undefined), response }
}

describe('fake ComfyUI protocol', () => {
  it('sends one prompt’s messages in ComfyUI 0.8.0 order, with a type-1 frame for SaveImageWebsocket', async () => {
    const fake = await start()
    const client = await listen(fake, 'c1')
    const graph = await tutorial({ class_type: 'SaveImageWebsocket', inputs: { images: ['8', 0] } })
    graph['22']!.inputs['steps'] = 2
    const accepted = await post(fake, '/prompt', { prompt: graph, client_id: 'c1', prompt_id: 'p1' })
    expect(accepted).toEqual({ status: 200, json: { prompt_id: 'p1', number: 0, node_errors: {} } })
    await fake.waitFor((e) => e.type === 'prompt-finished')
    await new Promise((resolve) => setTimeout(resolve, 50))

    const node = (id: string, inner: string[] = []) => ['progress_state', `executing:${id}`, ...inner, 'progress_state']
    expect(client.heard).toEqual([
      'status',
      'status',
      'status',
      'execution_start',
      'execution_cached',
      // ComfyUI's ExecutionList order for the tutorial graph.
      ...node('20'),
      ...node('5'),
      ...node('22'),
      ...node('14'),
      ...node('7'),
      ...node('6'),
      ...node('13', ['progress_state', 'progress:13', 'progress_state', 'progress:13']),
      ...node('8'),
      ...node('27', ['progress_state', 'progress:27', `binary:${BINARY_EVENT.PREVIEW_IMAGE}`]),
      'execution_success',
      'status',
      'executing:null',
    ])
    expect(client.messages[0]).toEqual({
      type: 'status',
      data: { status: { exec_info: { queue_remaining: 0 } }, sid: 'c1' },
    })
    expect(client.messages.at(-1)).toEqual({ type: 'executing', data: { node: null, prompt_id: 'p1' } })
    const frame = decodeFrame(client.frames[0]!)
    expect(frame).toMatchObject({ contentType: 'image/png' })
    expect([...frame.bytes.subarray(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47])
    // The sequence table drives it: the moments used above are the documented ones.
    expect(SEQUENCES.taskDone).toEqual(['status', 'executing:null'])
  })

  it('sends type-4 frames (with prompt and node ids) after feature_flags, and GENI frames for GenimageOutput', async () => {
    const fake = await start()
    const client = await listen(fake, 'c2', true)
    await new Promise((resolve) => setTimeout(resolve, 20))
    const saveWs = await tutorial({ class_type: 'SaveImageWebsocket', inputs: { images: ['8', 0] } })
    await post(fake, '/prompt', { prompt: saveWs, client_id: 'c2', prompt_id: 'a' })
    const ours = await tutorial({
      class_type: 'GenimageOutput',
      inputs: { images: ['8', 0], format: 'webp', quality: 80, compress_level: 1 },
    })
    ours['13']!.inputs['noise_seed'] = 99
    await post(fake, '/prompt', { prompt: ours, client_id: 'c2', prompt_id: 'b' })
    await fake.waitFor((e) => e.type === 'prompt-finished' && e.promptId === 'b')
    await new Promise((resolve) => setTimeout(resolve, 50))

    expect(client.messages[1]?.type).toBe('feature_flags')
    const frames = client.frames.map(decodeFrame)
    expect(frames[0]).toMatchObject({ event: 4, promptId: 'a', nodeId: '27', contentType: 'image/png' })
    expect(frames[1]).toMatchObject({
      event: BINARY_EVENT.GENIMAGE_IMAGE,
      promptId: 'b',
      nodeId: '27',
      contentType: 'image/webp',
    })
    expect(frames[1]).toMatchObject({ metadata: { width: 512, height: 512 } })
    // Type 4 comes before the progress message of the same tick.
    const tick = client.heard.indexOf('binary:4')
    expect(client.heard[tick + 1]).toBe('progress:27')
    // Same prompts, new seed: the loader, encoders, latent and scheduler come from the cache; only 13, 8, 27 run.
    const cached = client.messages.filter((m) => m.type === 'execution_cached').at(-1)
    expect(cached?.data['nodes']).toEqual(['5', '6', '7', '14', '20', '22'])
  })

  it('validates prompts like ComfyUI: 400 with error and node_errors, nothing on the WebSocket', async () => {
    const fake = await start()
    const client = await listen(fake, 'c3')
    const graph = await tutorial({ class_type: 'SaveImageWebsocket', inputs: { images: ['8', 0] } })
    graph['22']!.inputs['steps'] = 11
    graph['20']!.inputs['ckpt_name'] = 'missing.safetensors'
    const rejected = await post(fake, '/prompt', { prompt: graph, client_id: 'c3' })
    expect(rejected.status).toBe(400)
    expect(rejected.json.error).toMatchObject({ type: 'prompt_outputs_failed_validation' })
    expect(rejected.json.node_errors['22']).toMatchObject({
      class_type: 'SDTurboScheduler',
      dependent_outputs: ['27'],
      errors: [{ type: 'value_bigger_than_max', message: 'Value 11 bigger than max of 10', details: 'steps' }],
    })
    expect(rejected.json.node_errors['20'].errors[0]).toMatchObject({
      type: 'value_not_in_list',
      details: "ckpt_name: 'missing.safetensors' not in ['sd_xl_turbo_1.0_fp16.safetensors']",
    })

    const unknown = await post(fake, '/prompt', { prompt: { '1': { class_type: 'Nope', inputs: {} } } })
    expect(unknown.json.error).toMatchObject({ type: 'invalid_prompt', details: "Node ID '#1'" })
    expect((await post(fake, '/prompt', {})).json.error.type).toBe('no_prompt')
    expect((await post(fake, '/prompt', { prompt: { '5': graph['5']! } })).json.error.type).toBe('prompt_no_outputs')
    expect(client.heard.filter((h) => h !== 'status')).toEqual([])
  })

  it('deletes only pending prompts from the queue and interrupts only the running one when targeted', async () => {
    const fake = await start({ stepMs: 80 })
    const graph = await tutorial({ class_type: 'SaveImageWebsocket', inputs: { images: ['8', 0] } })
    graph['22']!.inputs['steps'] = 4
    await post(fake, '/prompt', { prompt: graph, client_id: 'x', prompt_id: 'run' })
    await post(fake, '/prompt', { prompt: graph, client_id: 'x', prompt_id: 'wait' })
    await fake.waitFor((e) => e.type === 'node-started' && e.classType === 'SamplerCustom')

    const queue = (await get(fake, '/queue')).json
    expect(queue.queue_running.map((item: unknown[]) => item[1])).toEqual(['run'])
    expect(queue.queue_pending.map((item: unknown[]) => item[1])).toEqual(['wait'])
    expect(queue.queue_running[0][3]).toMatchObject({ client_id: 'x' })

    // Deleting the running prompt does nothing; a targeted interrupt of a pending one does nothing.
    expect((await post(fake, '/queue', { delete: ['run'] })).status).toBe(200)
    expect((await post(fake, '/interrupt', { prompt_id: 'wait' })).status).toBe(200)
    expect(fake.queue.running?.promptId).toBe('run')

    await post(fake, '/queue', { delete: ['wait'] })
    expect(fake.queue.pending).toHaveLength(0)
    await post(fake, '/interrupt', { prompt_id: 'run' })
    expect(await fake.waitFor((e) => e.type === 'prompt-finished' && e.promptId === 'run')).toMatchObject({
      status: 'interrupted',
    })

    const history = (await get(fake, '/history/run')).json.run
    expect(history.status).toMatchObject({ status_str: 'error', completed: false })
    expect(history.status.messages.at(-1)[0]).toBe('execution_interrupted')
    expect(history.status.messages.at(-1)[1]).toMatchObject({ node_id: '13', node_type: 'SamplerCustom' })
    expect((await get(fake, '/history/wait')).json).toEqual({})

    await post(fake, '/history', { delete: ['run'] })
    expect((await get(fake, '/history')).json).toEqual({})
  })

  it('reports node errors and OOM with ComfyUI’s execution_error shape', async () => {
    const fake = await start({ faults: { oom: {} } })
    const client = await listen(fake, 'c4')
    const graph = await tutorial({ class_type: 'SaveImageWebsocket', inputs: { images: ['8', 0] } })
    await post(fake, '/prompt', { prompt: graph, client_id: 'c4', prompt_id: 'oom' })
    await fake.waitFor((e) => e.type === 'prompt-finished')
    await new Promise((resolve) => setTimeout(resolve, 30))
    expect(client.heard.slice(-4)).toEqual(['executing:13', 'execution_error', 'status', 'executing:null'])
    const error = client.messages.find((m) => m.type === 'execution_error')!.data
    expect(error).toMatchObject({
      prompt_id: 'oom',
      node_id: '13',
      node_type: 'SamplerCustom',
      exception_type: 'torch.OutOfMemoryError',
    })
    expect(error['exception_message']).toContain('This error means you ran out of memory on your GPU.')
    expect(Object.keys(error)).toEqual([
      'prompt_id',
      'node_id',
      'node_type',
      'executed',
      'exception_message',
      'exception_type',
      'traceback',
      'current_inputs',
      'current_outputs',
      'timestamp',
    ])
  })

  it('serves object_info, system_stats and /view, also under /api', async () => {
    const fake = await start()
    const info = (await get(fake, '/api/object_info/SamplerCustom')).json
    expect(info.SamplerCustom.input.required.noise_seed[0]).toBe('INT')
    expect(info.SamplerCustom.input_order.required).toContain('latent_image')
    expect((await get(fake, '/object_info/Nope')).json).toEqual({})
    expect(Object.keys((await get(fake, '/object_info')).json)).toEqual(
      expect.arrayContaining(['SaveImageWebsocket', 'GenimageOutput', 'CheckpointLoaderSimple']),
    )
    expect((await get(fake, '/system_stats')).json.system.comfyui_version).toBe('0.8.0')

    const graph = await tutorial({ class_type: 'SaveImage', inputs: { images: ['8', 0], filename_prefix: 'out/x' } })
    await post(fake, '/prompt', { prompt: graph, prompt_id: 'saved' })
    await fake.waitFor((e) => e.type === 'prompt-finished')
    const image = (await get(fake, '/history/saved')).json.saved.outputs['27'].images[0]
    expect(image).toEqual({ filename: 'x_00001_.png', subfolder: 'out', type: 'output' })
    const view = await fetch(`${fake.url}/view?filename=x_00001_.png&subfolder=out&type=output`)
    expect(view.status).toBe(200)
    expect(view.headers.get('content-type')).toBe('image/png')
    expect((await fetch(`${fake.url}/view?filename=../etc/passwd`)).status).toBe(400)
    expect((await fetch(`${fake.url}/view?filename=nope.png`)).status).toBe(404)
  })

  it('describes genimage’s custom nodes exactly as real ComfyUI 0.8.0 did (recorded /object_info)', async () => {
    const recorded = JSON.parse(
      await readFile(new URL('../src/transcripts/object-info-genimage.json', import.meta.url), 'utf8'),
    ) as Record<string, unknown>
    const fake = await start()
    const names = Object.keys(recorded).filter((key) => !key.startsWith('$'))
    // Every custom class the fake offers was recorded, so none is described from memory only.
    const offered = Object.keys((await get(fake, '/object_info')).json).filter((key) => key.startsWith('Genimage'))
    expect(offered.sort()).toEqual([...names].sort())
    for (const name of names) {
      expect((await get(fake, `/object_info/${name}`)).json[name], name).toEqual(recorded[name])
    }
  })

  it('refuses connections while booting, and after a crash until restarted', async () => {
    const fake = await FakeComfyUI.start({ bootDelayMs: 200 })
    fakes.push(fake)
    await expect(fetch(`${fake.url}/system_stats`)).rejects.toThrow()
    await fake.booted
    expect((await get(fake, '/system_stats')).status).toBe(200)

    const client = await listen(fake, 'c5')
    const closed = new Promise((resolve) => client.ws.once('close', resolve))
    fake.crash()
    await closed
    await expect(fetch(`${fake.url}/system_stats`)).rejects.toThrow()
    await fake.restart()
    expect((await get(fake, '/queue')).json).toEqual({ queue_running: [], queue_pending: [] })
  })
})

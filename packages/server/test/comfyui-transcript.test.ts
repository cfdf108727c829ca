// Replays on the fake the scenarios `@genimage/fake-comfyui`'s `src/transcripts/record.py` ran on real ComfyUI 0.8.0 (GPU box,
// GenimageOutput installed) and compares the WebSocket messages, condensed, with the recorded transcript.
import { readFile } from 'node:fs/promises'
import { condense, FakeComfyUI, type RecordedMessage } from '@genimage/fake-comfyui'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import {
  batchPlan,
  buildBatchGraph,
  type ComfyGraph,
  checkWorkflow,
  defaultWorkflowDir,
  imageInfo,
  plainPath,
  readWorkflowFiles,
} from '../src/comfyui/index.js'
import { BATCH_3_2STEPS, IMG2IMG_2_2STEPS, IMG2IMG_PICTURE } from './fixtures/transcript-scenarios.js'

interface Recorded {
  scenarios: Record<string, string[]>
  http: Record<string, { status: number; body?: unknown; contentType?: string | null }>
}

const GENI = 0x47454e49
let fake: FakeComfyUI
let workflow: ComfyGraph
let recorded: Recorded
const seen: Record<string, string[]> = {}
const http: Record<string, { status: number; body?: unknown; contentType?: string | null }> = {}

function graph(
  options: { format?: string; steps?: number; seed?: number; w?: number; h?: number; output?: unknown } = {},
): ComfyGraph {
  const g = structuredClone(workflow)
  g['6']!.inputs['text'] = 'a lighthouse'
  Object.assign(g['5']!.inputs, { width: options.w ?? 512, height: options.h ?? 512 })
  g['22']!.inputs['steps'] = options.steps ?? 1
  g['13']!.inputs['noise_seed'] = options.seed ?? 1
  g['27']!.inputs['format'] = options.format ?? 'png'
  if (options.output) g['27'] = options.output as ComfyGraph[string]
  return g
}

/** Nodes the plain path gained after record.py ran, and the input each passes through (CLIP → CLIP, VAE → VAE). */
const KEPT_SINCE_RECORDING: Record<string, string> = { GenimageClipFp16: 'clip', GenimageVaeGroupNorm: 'vae' }

/**
 * The graph record.py ran: the default workflow's plain path as it was then, before GenimageClipFp16 (fp16 text
 * encoders) and GenimageVaeGroupNorm (the decoder's GroupNorm) sat after the checkpoint; their readers read the
 * checkpoint's CLIP and VAE again.
 */
function recordedGraph(plain: ComfyGraph): ComfyGraph {
  const graph = structuredClone(plain)
  for (const [id, node] of Object.entries(graph)) {
    const through = KEPT_SINCE_RECORDING[node.class_type]
    if (through === undefined) continue
    delete graph[id]
    for (const reader of Object.values(graph)) {
      for (const [name, value] of Object.entries(reader.inputs)) {
        if (Array.isArray(value) && value[0] === id) reader.inputs[name] = node.inputs[through]
      }
    }
  }
  return graph
}

function frameSummary(data: Buffer): RecordedMessage {
  const event = data.readUInt32BE(0)
  let image: Buffer | undefined
  const binary: Extract<RecordedMessage, { binary: unknown }>['binary'] = { event }
  if (event === 1) {
    binary.format = data.readUInt32BE(4)
    image = data.subarray(8)
  } else if (event === 4 || event === GENI) {
    const length = data.readUInt32BE(4)
    binary.meta = JSON.parse(data.subarray(8, 8 + length).toString())
    image = data.subarray(8 + length)
  }
  const info = image ? imageInfo(image) : undefined
  if (info) binary.decoded = [info.contentType, info.width, info.height]
  return { binary }
}

async function connect(clientId: string, flags: boolean, sink: RecordedMessage[]): Promise<WebSocket> {
  const ws = new WebSocket(`${fake.url.replace('http', 'ws')}/ws?clientId=${clientId}`)
  ws.on('message', (data: Buffer, isBinary) => sink.push(isBinary ? frameSummary(data) : { text: data.toString() }))
  await new Promise((resolve) => ws.once('open', resolve))
  if (flags) ws.send(JSON.stringify({ type: 'feature_flags', data: { supports_preview_metadata: true } }))
  await new Promise((resolve) => setTimeout(resolve, 50))
  return ws
}

const until = async (test: () => boolean) => {
  while (!test()) await new Promise((resolve) => setTimeout(resolve, 2))
}

const done = (sink: RecordedMessage[], from: number, id: string) => () =>
  sink.slice(from).some((m) => 'text' in m && m.text.includes('"node": null') && m.text.includes(id))

async function post(path: string, body: unknown): Promise<Response> {
  return fetch(`${fake.url}${path}`, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body) })
}

async function run(sink: RecordedMessage[], name: string, g: ComfyGraph, clientId: string, interrupt = false) {
  const start = sink.length
  const id = crypto.randomUUID()
  const response = await post('/prompt', { prompt: g, client_id: clientId, prompt_id: id })
  const body = await response.json()
  if (response.status !== 200) {
    http[name] = { status: response.status, body }
    return
  }
  if (interrupt) {
    await until(() => sink.slice(start).some((m) => 'text' in m && m.text.includes('"progress"')))
    await post('/interrupt', { prompt_id: id })
  }
  await until(done(sink, start, id))
  seen[name] = condense(sink.slice(start))
}

beforeAll(async () => {
  recorded = JSON.parse(
    await readFile(new URL(import.meta.resolve('@genimage/fake-comfyui/transcripts/comfyui-0.8.0.json')), 'utf8'),
  )
  // The plain path: the graph these scenarios were recorded with (no CUDA-graph nodes, Pillow encoders).
  workflow = recordedGraph(plainPath(await readWorkflowFiles(defaultWorkflowDir())).graph)
  // Steps slow enough that the interrupt and the queue delete land mid-sampling, as on the GPU.
  fake = await FakeComfyUI.start({ stepMs: 100 })

  const sink: RecordedMessage[] = []
  const probe = await connect('probe', false, sink)
  seen['connect'] = condense(sink)
  await run(sink, 'warm-png-2steps', graph({ steps: 2, seed: 1 }), 'probe')
  await run(sink, 'png-1step', graph({ seed: 2 }), 'probe')
  await run(sink, 'jpeg-1step-640x384', graph({ format: 'jpeg', seed: 3, w: 640, h: 384 }), 'probe')
  await run(sink, 'webp-3steps', graph({ format: 'webp', steps: 3, seed: 4 }), 'probe')
  await run(sink, 'same-again-webp', graph({ format: 'webp', steps: 3, seed: 4 }), 'probe')
  const saveWs = { class_type: 'SaveImageWebsocket', inputs: { images: ['8', 0] } }
  await run(sink, 'saveimagewebsocket', graph({ seed: 5, output: saveWs }), 'probe')
  const save = { class_type: 'SaveImage', inputs: { images: ['8', 0], filename_prefix: 'probe/x' } }
  await run(sink, 'saveimage', graph({ seed: 6, output: save }), 'probe')
  await run(sink, 'interrupt-1024-4steps', graph({ steps: 4, seed: 7, w: 1024, h: 1024 }), 'probe', true)
  await run(sink, 'invalid-steps-11', graph({ steps: 11, seed: 8 }), 'probe')
  const bad = graph({ seed: 9 })
  bad['20']!.inputs['ckpt_name'] = 'missing.safetensors'
  await run(sink, 'invalid-ckpt', bad, 'probe')

  const start = sink.length
  const [a, b] = [crypto.randomUUID(), crypto.randomUUID()]
  await post('/prompt', { prompt: graph({ steps: 4, seed: 10, w: 1024, h: 1024 }), client_id: 'probe', prompt_id: a })
  await post('/prompt', { prompt: graph({ seed: 11 }), client_id: 'probe', prompt_id: b })
  await fetch(`${fake.url}/queue`)
  const deleted = await post('/queue', { delete: [b] })
  http['queue_delete'] = { status: deleted.status, contentType: deleted.headers.get('content-type') }
  await post('/interrupt', { prompt_id: b })
  await until(done(sink, start, a))
  seen['queue-delete'] = condense(sink.slice(start))
  probe.close()

  const sink2: RecordedMessage[] = []
  const probe2 = await connect('probe2', true, sink2)
  seen['connect-flags'] = condense(sink2)
  await run(sink2, 'flags-saveimagewebsocket', graph({ seed: 12, output: saveWs }), 'probe2')
  await run(sink2, 'flags-genimage-png', graph({ seed: 13 }), 'probe2')
  const noClient = sink2.length
  const id = crypto.randomUUID()
  await post('/prompt', { prompt: graph({ seed: 14 }), prompt_id: id })
  await fake.waitFor((e) => e.type === 'prompt-finished' && e.promptId === id)
  await new Promise((resolve) => setTimeout(resolve, 50))
  seen['no-client-id'] = condense(sink2.slice(noClient))
  probe2.close()
  const historyDelete = await post('/history', { delete: [id] })
  http['history_delete'] = { status: historyDelete.status, contentType: historyDelete.headers.get('content-type') }
  const badJson = await post('/prompt', 'not json')
  http['bad-json'] = { status: badJson.status, body: await badJson.text() }

  // A node that raises while executing (recorded by bench/gpu: SaveImage refusing a filename_prefix outside the
  // output folder), after a prime prompt that leaves every other node cached.
  const sink3: RecordedMessage[] = []
  const probe3 = await connect('probe3', false, sink3)
  const saveTo = (prefix: string) =>
    graph({ seed: 15, output: { class_type: 'SaveImage', inputs: { images: ['8', 0], filename_prefix: prefix } } })
  await run(sink3, 'node-error-prime', saveTo('probe/prime'), 'probe3')
  delete seen['node-error-prime']
  fake.setFaults({
    nodeError: {
      node: '27',
      times: 1,
      exceptionType: 'Exception',
      message: '**** ERROR: Saving image outside the output folder is not allowed.',
    },
  })
  await run(sink3, 'node-error', saveTo('../outside/escape'), 'probe3')
  fake.setFaults({})
  // bench/gpu ran its node-error prompts on today's plain path, GenimageClipFp16 included, so that node was cached
  // when it recorded the batched prompt below: run it once here too (not compared).
  const files = await readWorkflowFiles(defaultWorkflowDir())
  const today = structuredClone(plainPath(files).graph)
  Object.assign(today, { '27': saveTo('probe/prime-fp16')['27'] })
  await run(sink3, 'prime-fp16', today, 'probe3')
  delete seen['prime-fp16']
  // A batched prompt as the bridge builds it from the default workflow (recorded by bench/gpu right after node-error):
  // three requests, their own prompts and seeds, one GENI frame each.
  const lookup = async (name: string) =>
    (await fetch(`${fake.url}/object_info/${name}`)).json().then((info) => info[name])
  const fast = await checkWorkflow(files, lookup)
  const plan = batchPlan(fast)
  if (typeof plan === 'string') throw new Error(plan)
  await run(sink3, 'batch-3-2steps', buildBatchGraph(fast, plan, BATCH_3_2STEPS), 'probe3')
  // Two image-to-image requests of one picture (base64 in the prompt), batched (recorded by bench/gpu after that).
  const img2img = await checkWorkflow(await readWorkflowFiles(defaultWorkflowDir('sdxl-turbo-img2img')), lookup)
  const img2imgPlan = batchPlan(img2img)
  if (typeof img2imgPlan === 'string') throw new Error(img2imgPlan)
  await run(
    sink3,
    'img2img-2-2steps',
    buildBatchGraph(img2img, img2imgPlan, IMG2IMG_2_2STEPS, IMG2IMG_PICTURE),
    'probe3',
  )
  probe3.close()
}, 60_000)

afterAll(async () => {
  await fake?.close()
})

describe('fake ComfyUI against a transcript of real ComfyUI 0.8.0', () => {
  it('replayed every recorded scenario', () => {
    expect(Object.keys(seen).sort()).toEqual(Object.keys(recorded.scenarios).sort())
  })

  it.each([
    'connect',
    'warm-png-2steps',
    'png-1step',
    'jpeg-1step-640x384',
    'webp-3steps',
    'same-again-webp',
    'saveimagewebsocket',
    'saveimage',
    'interrupt-1024-4steps',
    'queue-delete',
    'connect-flags',
    'flags-saveimagewebsocket',
    'flags-genimage-png',
    'no-client-id',
    'node-error',
    'batch-3-2steps',
    'img2img-2-2steps',
  ])('sends the same WebSocket messages in the same order: %s', (name) => {
    expect(seen[name]).toEqual(recorded.scenarios[name])
  })

  it('answers HTTP like ComfyUI: validation errors, bad JSON, empty 200s', () => {
    expect(http).toEqual(recorded.http)
  })
})

/**
 * The fake's HTTP routes, answering like ComfyUI 0.8.0 `server.py` (status codes, bodies, empty 200s), plus a
 * `/fake/*` control surface so tests can turn knobs on a fake running as a child process.
 * @module
 */
import { randomUUID } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { ExecutorEvent, FakeExecutor, FakeTimings } from './executor.js'
import type { FakeFaults } from './faults.js'
import type { NodeInfo } from './object-info.js'
import { pyJson } from './python.js'
import { validatePrompt } from './validate.js'

/** A stored file, as `GET /view` serves it. */
export interface StoredFile {
  bytes: Uint8Array
  contentType: string
}

/** What the routes read and change. */
export interface RouteContext {
  readonly executor: FakeExecutor
  readonly objectInfo: Record<string, NodeInfo>
  readonly files: Map<string, StoredFile>
  readonly checkpoints: readonly string[]
  readonly argv: readonly string[]
  setTimings(timings: Partial<FakeTimings>): void
  setFaults(faults: FakeFaults): void
  crash(): void
  dropWebSockets(): void
  /** Finished prompts, oldest first. */
  executions(): readonly Extract<ExecutorEvent, { type: 'prompt-finished' }>[]
  log(line: string): void
}

/** Key of a stored file. */
export function fileKey(type: string, subfolder: string, filename: string): string {
  return `${type}/${subfolder}/${filename}`
}

const MIME: Record<string, string> = { png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', webp: 'image/webp' }

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = pyJson(body)
  response.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
  })
  response.end(text)
}

/** `web.Response(status=…)` with no body: no Content-Type header at all. */
function sendEmpty(response: ServerResponse, status = 200): void {
  response.writeHead(status, { 'Content-Length': 0 })
  response.end()
}

/** Reads a request body as text. */
export async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of request) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

/** `await request.json()` in aiohttp: invalid JSON raises and the client gets a 500. */
class BadJson extends Error {}

function parseJson(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text)
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return {}
    return value as Record<string, unknown>
  } catch {
    throw new BadJson()
  }
}

function queueTuple(item: {
  number: number
  promptId: string
  prompt: unknown
  extraData: unknown
  outputs: string[]
}): unknown[] {
  return [item.number, item.promptId, item.prompt, item.extraData, item.outputs]
}

/**
 * Answers one request; `path` has the `/api` prefix already stripped.
 * @example
 * await handleRoute(ctx, 'POST', '/prompt', url, body, response)
 */
export async function handleRoute(
  ctx: RouteContext,
  method: string,
  path: string,
  url: URL,
  body: string,
  response: ServerResponse,
): Promise<void> {
  try {
    await route(ctx, method, path, url, body, response)
  } catch (error) {
    if (!(error instanceof BadJson)) ctx.log(`Error handling request: ${(error as Error).stack ?? error}`)
    const text = '500 Internal Server Error\n\nServer got itself in trouble'
    response.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' })
    response.end(text)
  }
}

async function route(
  ctx: RouteContext,
  method: string,
  path: string,
  url: URL,
  body: string,
  response: ServerResponse,
): Promise<void> {
  const { executor } = ctx
  const key = `${method} ${path}`
  if (key === 'GET /') {
    response.writeHead(200, { 'Content-Type': 'text/html' })
    response.end('<!doctype html><title>ComfyUI</title><p>fake ComfyUI</p>')
    return
  }
  if (key === 'GET /prompt')
    return sendJson(response, 200, { exec_info: { queue_remaining: executor.queueRemaining() } })
  if (key === 'POST /prompt') return postPrompt(ctx, body, response)
  if (key === 'GET /queue') {
    return sendJson(response, 200, {
      queue_running: executor.running ? [queueTuple(executor.running)] : [],
      queue_pending: executor.queued.map(queueTuple),
    })
  }
  if (key === 'POST /queue') {
    const json = parseJson(body)
    if (json['clear']) executor.wipePending()
    if (Array.isArray(json['delete'])) for (const id of json['delete']) executor.deletePending(String(id))
    return sendEmpty(response)
  }
  if (key === 'POST /interrupt') {
    let json: Record<string, unknown> = {}
    try {
      json = parseJson(body)
    } catch {
      // An empty or non-JSON body is a global interrupt.
    }
    const promptId = json['prompt_id']
    executor.interrupt(typeof promptId === 'string' && promptId ? promptId : undefined)
    return sendEmpty(response)
  }
  if (key === 'GET /history') {
    const maxItems = url.searchParams.has('max_items') ? Number(url.searchParams.get('max_items')) : undefined
    let offset = url.searchParams.has('offset') ? Number(url.searchParams.get('offset')) : -1
    const entries = [...executor.history.entries()]
    if (offset < 0 && maxItems !== undefined) offset = entries.length - maxItems
    const out: Record<string, unknown> = {}
    for (const [i, [id, entry]] of entries.entries()) {
      if (i < offset) continue
      out[id] = entry
      if (maxItems !== undefined && Object.keys(out).length >= maxItems) break
    }
    return sendJson(response, 200, out)
  }
  if (method === 'GET' && path.startsWith('/history/')) {
    const id = decodeURIComponent(path.slice('/history/'.length))
    const entry = executor.history.get(id)
    return sendJson(response, 200, entry ? { [id]: entry } : {})
  }
  if (key === 'POST /history') {
    const json = parseJson(body)
    if (json['clear']) executor.history.clear()
    if (Array.isArray(json['delete'])) for (const id of json['delete']) executor.history.delete(String(id))
    return sendEmpty(response)
  }
  if (key === 'GET /object_info') return sendJson(response, 200, ctx.objectInfo)
  if (method === 'GET' && path.startsWith('/object_info/')) {
    const name = decodeURIComponent(path.slice('/object_info/'.length))
    const info = ctx.objectInfo[name]
    return sendJson(response, 200, info ? { [name]: info } : {})
  }
  if (key === 'GET /system_stats') return sendJson(response, 200, systemStats(ctx))
  if (key === 'GET /features') {
    return sendJson(response, 200, {
      supports_preview_metadata: true,
      max_upload_size: 100 * 1024 * 1024,
      extension: { manager: { supports_v4: true } },
    })
  }
  if (key === 'GET /models') return sendJson(response, 200, ['checkpoints', 'loras', 'vae'])
  if (key === 'GET /models/checkpoints') return sendJson(response, 200, ctx.checkpoints)
  if (key === 'POST /free') return sendEmpty(response)
  if (key === 'GET /view') return view(ctx, url, response)
  if (path.startsWith('/fake/')) return control(ctx, key, body, response)
  sendEmpty(response, 404)
}

function postPrompt(ctx: RouteContext, body: string, response: ServerResponse): void {
  const { executor } = ctx
  ctx.log('got prompt')
  const json = parseJson(body)
  let number: number
  if ('number' in json) number = Number(json['number'])
  else {
    number = executor.number
    if (json['front']) number = -number
    executor.number += 1
  }
  if (!('prompt' in json)) {
    const error = { type: 'no_prompt', message: 'No prompt provided', details: 'No prompt provided', extra_info: {} }
    sendJson(response, 400, { error, node_errors: {} })
    return
  }
  const promptId = 'prompt_id' in json ? String(json['prompt_id']) : randomUUID()
  const prompt = structuredClone(json['prompt']) as Record<string, never>
  const targets = Array.isArray(json['partial_execution_targets'])
    ? (json['partial_execution_targets'] as string[])
    : undefined
  const result = validatePrompt(prompt, ctx.objectInfo, targets)
  const extraData = (json['extra_data'] as Record<string, unknown> | undefined) ?? {}
  if ('client_id' in json) extraData['client_id'] = json['client_id']
  if (!result.ok) {
    ctx.log(`invalid prompt: ${result.error.message}`)
    sendJson(response, 400, { error: result.error, node_errors: result.nodeErrors })
    return
  }
  extraData['create_time'] = Date.now()
  executor.enqueue({ number, promptId, prompt, extraData, outputs: result.outputs })
  sendJson(response, 200, { prompt_id: promptId, number, node_errors: result.nodeErrors })
}

function view(ctx: RouteContext, url: URL, response: ServerResponse): void {
  let filename = url.searchParams.get('filename')
  if (filename === null) {
    sendEmpty(response, 404)
    return
  }
  let type = url.searchParams.get('type') ?? 'output'
  const annotated = /^(.*) \[(output|input|temp)\]$/.exec(filename)
  if (annotated) {
    filename = annotated[1]!
    type = annotated[2]!
  }
  if (!filename || filename.startsWith('/') || filename.includes('..')) {
    sendEmpty(response, 400)
    return
  }
  if (!['output', 'input', 'temp'].includes(type)) {
    sendEmpty(response, 400)
    return
  }
  const subfolder = url.searchParams.get('subfolder') ?? ''
  if (subfolder.startsWith('/') || subfolder.split('/').includes('..')) {
    sendEmpty(response, 403)
    return
  }
  const base = filename.split('/').pop() ?? filename
  const file = ctx.files.get(fileKey(type, subfolder, base))
  if (!file) {
    sendEmpty(response, 404)
    return
  }
  response.writeHead(200, {
    'Content-Type': file.contentType || MIME[base.split('.').pop() ?? ''] || 'application/octet-stream',
    'Content-Disposition': `filename="${base}"`,
    'Content-Length': file.bytes.length,
    'Cache-Control': 'public, max-age=86400',
  })
  response.end(file.bytes)
}

function systemStats(ctx: RouteContext): unknown {
  const gib = 1024 ** 3
  return {
    system: {
      os: 'linux',
      ram_total: 540 * gib,
      ram_free: 500 * gib,
      comfyui_version: '0.8.0',
      required_frontend_version: '1.35.9',
      installed_templates_version: null,
      required_templates_version: '0.7.66',
      python_version: '3.12.3 (main, fake) [GCC 13.3.0]',
      pytorch_version: '2.11.0+cu128',
      embedded_python: false,
      argv: ['main.py', ...ctx.argv],
    },
    devices: [
      {
        name: 'cuda:0 NVIDIA H100 80GB HBM3 : cudaMallocAsync',
        type: 'cuda',
        index: 0,
        vram_total: 85_045_231_616,
        vram_free: 84_300_000_000,
        torch_vram_total: 0,
        torch_vram_free: 0,
      },
    ],
  }
}

function control(ctx: RouteContext, key: string, body: string, response: ServerResponse): void {
  if (key === 'GET /fake/state') {
    const { executor } = ctx
    sendJson(response, 200, {
      pid: process.pid,
      running: executor.running?.promptId ?? null,
      pending: executor.queued.map((item) => item.promptId),
      history: [...executor.history.keys()],
    })
    return
  }
  if (key === 'GET /fake/executions') {
    const executions = ctx.executions().map((event) => ({
      prompt_id: event.promptId,
      status: event.status,
      execution_ms: event.executionMs,
    }))
    sendJson(response, 200, executions)
    return
  }
  if (key === 'POST /fake/knobs') {
    const json = parseJson(body) as Partial<FakeTimings> & { faults?: FakeFaults }
    const { faults, ...timings } = json
    ctx.setTimings(timings)
    if (faults) ctx.setFaults(faults)
    sendEmpty(response)
    return
  }
  if (key === 'POST /fake/drop-ws') {
    ctx.dropWebSockets()
    sendEmpty(response)
    return
  }
  if (key === 'POST /fake/crash') {
    sendEmpty(response)
    setImmediate(() => ctx.crash())
    return
  }
  sendEmpty(response, 404)
}

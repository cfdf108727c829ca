import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FakeComfyUI } from '@genimage/fake-comfyui'
import { ConfigError, createGenimageServer, loadConfig } from '@genimage/server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { REPO_ROOT, type StartedServer, startServer } from '../contract/server-target.js'
import { type RunningRedis, startRedis } from '../scale/redis-server.js'

/** The example workflow shipped with the server: the built-in one plus `cfg` and `sampler_name`. */
const EXAMPLE = join(REPO_ROOT, 'packages/server/workflows/sdxl-turbo-cfg')

let fake: FakeComfyUI
let server: StartedServer

beforeAll(async () => {
  fake = await FakeComfyUI.start()
  await fake.booted
  // An unsupervised ComfyUI (COMFYUI_URL): the fake runs in this process, so the test reads the graphs it received.
  server = await startServer({ backend: 'synthetic', env: { COMFYUI_URL: fake.url, WORKFLOW: EXAMPLE } })
}, 60_000)

afterAll(async () => {
  await server?.close()
  await fake?.close()
})

type Graph = Record<string, { class_type: string; inputs: Record<string, unknown> }>

/** The graphs the fake ComfyUI received whose prompt text is `text` (warm-up prompts run alongside the tests). */
const graphsFor = (text: string): Graph[] =>
  fake.requests
    .filter((request) => request.method === 'POST' && request.path === '/prompt')
    .map((request) => (request.body as { prompt: Graph }).prompt)
    .filter((graph) => graph['6']?.inputs['text'] === text)

const generate = (body: unknown, path = '/generate') =>
  fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })

describe('WORKFLOW with extra inputs (sdxl-turbo-cfg) against the fake ComfyUI', () => {
  it('lists the extra inputs in /openapi.json and on /docs', async () => {
    const document = await (await fetch(`${server.url}/openapi.json`)).json()
    const properties = document.components.schemas.GenerateRequest.properties
    expect(properties.cfg).toMatchObject({ type: 'number', minimum: 0, maximum: 10, default: 1 })
    expect(properties.cfg.description).toMatch(/^Classifier-free guidance scale/)
    expect(properties.sampler_name).toMatchObject({ type: 'string', default: 'euler_ancestral' })
    const page = await (await fetch(`${server.url}/docs`)).text()
    expect(page).toContain('<code>cfg</code>')
    expect(page).toContain('<code>sampler_name</code>')
  })

  it('writes the values of a request into the graph ComfyUI receives', async () => {
    const response = await generate({ prompt: 'a fox', seed: 1, cfg: 2.5, sampler_name: 'lcm' })
    expect(response.status).toBe(200)
    const [graph] = graphsFor('a fox')
    expect(graph!['13']!.inputs['cfg']).toBe(2.5)
    expect(graph!['14']!.inputs['sampler_name']).toBe('lcm')
  })

  it('applies the defaults when the request leaves them out', async () => {
    expect((await generate({ prompt: 'a heron', seed: 2 })).status).toBe(200)
    const [graph] = graphsFor('a heron')
    expect(graph!['13']!.inputs['cfg']).toBe(1)
    expect(graph!['14']!.inputs['sampler_name']).toBe('euler_ancestral')
  })

  it('carries the values through the queue (POST /queue/generate)', async () => {
    const submitted = await generate({ prompt: 'a wren', seed: 3, cfg: 4 }, '/queue/generate')
    expect(submitted.status).toBe(202)
    const { response_url } = (await submitted.json()) as { response_url: string }
    let result = await fetch(response_url)
    while (result.status === 202 || result.status === 400) {
      await new Promise((resolve) => setTimeout(resolve, 20))
      result = await fetch(response_url)
    }
    expect(result.status).toBe(200)
    expect(graphsFor('a wren').map((graph) => graph['13']!.inputs['cfg'])).toEqual([4])
  })

  it('answers 422 at ["body", "cfg"] for a value outside the schema, and for an undeclared field', async () => {
    const tooHigh = await generate({ prompt: 'a refused fox', cfg: 99 })
    expect(tooHigh.status).toBe(422)
    expect(await tooHigh.json()).toEqual({
      detail: [
        {
          loc: ['body', 'cfg'],
          msg: 'Input should be less than or equal to 10',
          type: 'less_than_equal',
          input: 99,
          ctx: { le: 10 },
        },
      ],
    })
    const unknown = await generate({ prompt: 'a refused fox', guidance: 2 })
    expect(unknown.status).toBe(422)
    expect((await unknown.json()).detail).toEqual([
      { loc: ['body', 'guidance'], msg: 'Extra inputs are not permitted', type: 'extra_forbidden', input: 2 },
    ])
    expect(graphsFor('a refused fox')).toEqual([])
  })
})

describe('WORKFLOW with extra inputs on the Redis queue (ROLE=api and ROLE=worker)', () => {
  let redis: RunningRedis
  let filesDir: string
  const nodes: StartedServer[] = []

  beforeAll(async () => {
    redis = await startRedis()
    filesDir = await mkdtemp(join(tmpdir(), 'genimage-extra-inputs-files-'))
    const env = { REDIS_URL: redis.url, WORKFLOW: EXAMPLE, STORAGE: 'local', FILES_DIR: filesDir }
    nodes.push(await startServer({ backend: 'synthetic', env: { ...env, ROLE: 'api' } }))
    nodes.push(await startServer({ backend: 'synthetic', env: { ...env, ROLE: 'worker', COMFYUI_URL: fake.url } }))
  }, 60_000)

  afterAll(async () => {
    for (const node of nodes) await node.close()
    await redis?.stop()
    await rm(filesDir, { recursive: true, force: true })
  })

  it('validates on the API node and binds the values on the worker', async () => {
    const api = nodes[0]!.url
    const document = await (await fetch(`${api}/openapi.json`)).json()
    expect(document.components.schemas.GenerateRequest.properties.cfg).toMatchObject({ type: 'number', maximum: 10 })
    const response = await fetch(`${api}/generate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'a fox over Redis', seed: 4, cfg: 3.5 }),
    })
    expect(response.status).toBe(200)
    const [graph] = graphsFor('a fox over Redis')
    expect(graph!['13']!.inputs['cfg']).toBe(3.5)
    expect(graph!['14']!.inputs['sampler_name']).toBe('euler_ancestral')
  })
})

describe('WORKFLOW with a bad extra input', () => {
  it('refuses to start, naming the file and the field', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'genimage-bad-inputs-'))
    try {
      await writeFile(join(dir, 'workflow.json'), '{}')
      const bindings = {
        inputs: { seed: { schema: { type: 'integer', exclusiveMinimum: 0 }, bind: ['13', 'noise_seed'] } },
      }
      await writeFile(join(dir, 'bindings.json'), JSON.stringify(bindings))
      const request = loadConfig([], { WORKFLOW: dir, LOG_LEVEL: 'silent' })
      if (request.action !== 'run') throw new Error(request.action)
      const error = (() => {
        try {
          createGenimageServer(request.config)
        } catch (thrown) {
          return thrown
        }
        throw new Error('the server started')
      })()
      expect(error).toBeInstanceOf(ConfigError)
      expect((error as ConfigError).message).toContain(`workflow ${dir}:`)
      expect((error as ConfigError).message).toContain('bindings.json: inputs "seed": is a field of the contract')
      expect((error as ConfigError).message).toContain(
        'bindings.json: inputs "seed": unsupported schema keyword "exclusiveMinimum"',
      )
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

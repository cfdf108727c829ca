import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createClient } from '@genimage/client'
import { afterEach, describe, expect, it } from 'vitest'
import { decodeImage } from '../contract/images.js'
import { fakeComfyDir, freePort, REPO_ROOT, type StartedServer, startServer } from '../contract/server-target.js'
import { eventually, killAll, memoryLogger, metric, spawnServerMain } from './processes.js'

const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  killAll()
  while (cleanups.length > 0) await cleanups.pop()!()
})

const start = async (options: Parameters<typeof startServer>[0]): Promise<StartedServer> => {
  const started = await startServer(options)
  cleanups.push(() => started.close())
  return started
}

/** The fake ComfyUI's own view: its pid and what it is running. */
const comfyState = async (server: StartedServer) =>
  (await (await fetch(`${server.comfyUrl}/fake/state`)).json()) as { pid: number; running: string | null }

/** Arms a fault in the running fake ComfyUI (the new process a restart brings has none). */
const arm = async (server: StartedServer, faults: Record<string, unknown>): Promise<void> => {
  const response = await fetch(`${server.comfyUrl}/fake/knobs`, { method: 'POST', body: JSON.stringify({ faults }) })
  expect(response.status).toBe(200)
}

const imageAt = async (url: string) => decodeImage(new Uint8Array(await (await fetch(url)).arrayBuffer()))

describe('faults, through the real server and its supervised ComfyUI (the fake, as a child process)', () => {
  it('ComfyUI killed mid-job: the supervisor restarts it, the job is resubmitted and the client gets its image', async () => {
    const server = await start({ backend: 'fake-comfyui', env: { COMFYUI_ARGS: '--step-ms 50' } })
    expect(existsSync(join(server.comfyDir!, 'custom_nodes'))).toBe(true)
    const before = await comfyState(server)
    await arm(server, { crash: { node: 'SamplerCustom' } })

    const client = createClient({ baseUrl: server.url })
    const result = await client.generate({
      prompt: 'survives a crash',
      width: 512,
      height: 256,
      num_inference_steps: 2,
    })

    expect(await imageAt(result.image.url)).toEqual({ format: 'png', width: 512, height: 256 })
    expect((await comfyState(server)).pid).not.toBe(before.pid)
    expect(await metric(server.url, 'genimage_comfyui_restarts_total')).toBeGreaterThanOrEqual(1)
    expect(await metric(server.url, 'genimage_queue_depth')).toBe(0)
  })

  it('ComfyUI hangs: the job ends in 504, ComfyUI is restarted and a later job succeeds', async () => {
    const server = await start({
      backend: 'fake-comfyui',
      env: { COMFYUI_ARGS: '--step-ms 20' },
      override: { jobTimeoutMs: 1500 },
    })
    const hung = await comfyState(server)
    await arm(server, { hang: { node: 'SamplerCustom' } })

    const response = await fetch(`${server.url}/generate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'never finishes', width: 256, height: 256 }),
    })
    expect(response.status).toBe(504)
    expect(((await response.json()) as { detail: string }).detail).toMatch(/timed out/i)

    await eventually(
      async () => ((await metric(server.url, 'genimage_comfyui_restarts_total')) >= 1 ? true : undefined),
      'the supervisor to restart ComfyUI',
    )
    await eventually(async () => ((await fetch(`${server.url}/ready`)).status === 200 ? true : undefined), '/ready')
    expect((await comfyState(server)).pid).not.toBe(hung.pid)
    const later = await createClient({ baseUrl: server.url }).generate({
      prompt: 'after the hang',
      width: 256,
      height: 256,
    })
    expect(await imageAt(later.image.url)).toEqual({ format: 'png', width: 256, height: 256 })
  })

  it('WebSocket dropped mid-job: the bridge reconnects and reconciles, no job is stuck, ComfyUI is not restarted', async () => {
    const logs = memoryLogger()
    const server = await start({
      backend: 'fake-comfyui',
      env: { COMFYUI_ARGS: '--step-ms 30' },
      logger: logs.logger,
    })
    const before = await comfyState(server)
    await arm(server, { dropWebSockets: { node: 'SamplerCustom', step: 1 } })
    const client = createClient({ baseUrl: server.url })

    const [dropped, alongside] = await Promise.all([
      client.generate({ prompt: 'socket dropped', width: 256, height: 512, num_inference_steps: 4 }),
      client.generate({ prompt: 'queued behind it', width: 512, height: 256, num_inference_steps: 1 }),
    ])

    expect(await imageAt(dropped.image.url)).toEqual({ format: 'png', width: 256, height: 512 })
    expect(await imageAt(alongside.image.url)).toEqual({ format: 'png', width: 512, height: 256 })
    expect(logs.messages()).toContainEqual(expect.stringMatching(/WebSocket reconnected/))
    expect(await metric(server.url, 'genimage_comfyui_restarts_total')).toBe(0)
    expect(await metric(server.url, 'genimage_queue_depth')).toBe(0)
    // ComfyUI goes idle once the warm-up after ready (other sizes, batch sizes) is over; same process throughout.
    const idle = await eventually(async () => {
      const state = await comfyState(server)
      return state.running === null ? state : undefined
    }, 'ComfyUI to go idle')
    expect(idle).toMatchObject({ pid: before.pid, running: null })
    const after = await client.generate({ prompt: 'and the next one', width: 256, height: 256 })
    expect(after.image).toMatchObject({ width: 256, height: 256 })
  })

  it('queue full: 429 with Retry-After', async () => {
    const server = await start({ backend: 'fake-comfyui', env: { COMFYUI_ARGS: '--step-ms 200', MAX_QUEUE: '1' } })
    const submit = () =>
      fetch(`${server.url}/queue/generate`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ prompt: 'fill the queue', width: 1024, height: 1024, num_inference_steps: 4 }),
      })
    const accepted: string[] = []
    let rejected: Response | undefined
    for (let index = 0; index < 6 && !rejected; index += 1) {
      const response = await submit()
      if (response.status === 429) rejected = response
      else accepted.push(((await response.json()) as { request_id: string }).request_id)
    }
    expect(rejected?.status).toBe(429)
    expect(Number(rejected!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
    expect(((await rejected!.json()) as { detail: string }).detail).toMatch(/queue/i)
    for (const id of accepted) await fetch(`${server.url}/queue/requests/${id}/cancel`, { method: 'PUT' })
  })
})

describe('genimage-server as a process', () => {
  /** Environment that makes genimage-server supervise the fake ComfyUI from a temporary COMFYUI_DIR. */
  const fakeComfyEnv = async (comfyArgs: string): Promise<Record<string, string>> => {
    const comfy = await fakeComfyDir()
    cleanups.push(() => comfy.remove())
    return {
      PORT: String(await freePort()),
      HOST: '127.0.0.1',
      COMFYUI_DIR: comfy.dir,
      COMFYUI_PYTHON: 'sh',
      LAZY_IMPORTS: 'false', // main.py is the fake's shell script: no Python launcher
      COMFYUI_PORT: String(await freePort()),
      COMFYUI_ARGS: comfyArgs,
      SKIP_WEIGHTS_DOWNLOAD: 'true',
    }
  }

  const refusesConnections = async (url: string): Promise<boolean> =>
    fetch(url).then(
      () => false,
      () => true,
    )

  it('refuses to start when bindings.json names an input the node does not have, naming it', async () => {
    const workflow = await mkdtemp(join(tmpdir(), 'genimage-bad-workflow-'))
    cleanups.push(() => rm(workflow, { recursive: true, force: true }))
    const shipped = join(REPO_ROOT, 'packages/server/workflows/sdxl-turbo')
    await writeFile(join(workflow, 'workflow.json'), await readFile(join(shipped, 'workflow.json')))
    const bindings = JSON.parse(await readFile(join(shipped, 'bindings.json'), 'utf8')) as Record<string, unknown>
    await writeFile(join(workflow, 'bindings.json'), JSON.stringify({ ...bindings, seed: ['13', 'noise_sed'] }))
    const env: Record<string, string> = { ...(await fakeComfyEnv('')), WORKFLOW: workflow }

    const server = spawnServerMain([], env)

    expect(await server.exited).not.toBe(0)
    expect(server.output()).toMatch(
      /bindings\.json: \\?"seed\\?" → \[\\?"13\\?",\\?"noise_sed\\?"\]: SamplerCustom has no input/,
    )
    // Nothing is left behind: the supervised ComfyUI was stopped with the server.
    expect(await refusesConnections(`http://127.0.0.1:${env.COMFYUI_PORT}/system_stats`)).toBe(true)
  })

  it('drains on SIGTERM: the running generation finishes, new ones get 503, the process exits 0', async () => {
    const env = await fakeComfyEnv('--step-ms 250')
    const server = spawnServerMain([], env)
    await server.line((line) => line.includes('backend ready'))
    const baseUrl = `http://127.0.0.1:${env.PORT}`
    const post = (prompt: string) =>
      fetch(`${baseUrl}/generate`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ prompt, width: 512, height: 512, num_inference_steps: 4 }),
      })

    const running = post('finish me before you go')
    // Our prompt itself, not one of the warm-up prompts ComfyUI runs for a few seconds after ready.
    await eventually(async () => {
      const queue = await (await fetch(`http://127.0.0.1:${env.COMFYUI_PORT}/queue`)).text()
      const [running] = (JSON.parse(queue) as { queue_running: unknown[] }).queue_running
      return JSON.stringify(running ?? '').includes('finish me before you go') ? true : undefined
    }, 'the generation to run in ComfyUI')
    server.child.kill('SIGTERM')
    await server.line((line) => line.includes('SIGTERM: draining'))

    const refused = await post('too late')
    expect(refused.status).toBe(503)
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
    const finished = await running
    expect(finished.status).toBe(200)
    const body = (await finished.json()) as { image: { url: string } }
    expect(body.image.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/files\//)
    expect(await server.exited).toBe(0)
    expect(await refusesConnections(`http://127.0.0.1:${env.COMFYUI_PORT}/system_stats`)).toBe(true)
  })

  it('--help prints the options table and exits 0', async () => {
    const server = spawnServerMain(['--help'])
    expect(await server.exited).toBe(0)
    expect(server.output()).toMatch(/^Usage: genimage-server/)
    for (const flag of ['--port <int>', '--comfyui-dir <dir>', '--comfyui-python <cmd>', '--workflow <dir>']) {
      expect(server.output()).toContain(flag)
    }
  })

  it('a misspelt flag exits 2 naming it and the flag it meant', async () => {
    const server = spawnServerMain(['--prot', '8080'])
    expect(await server.exited).toBe(2)
    expect(server.output()).toContain('unknown option --prot (did you mean --port?)')
  })
})

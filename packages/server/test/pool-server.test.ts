import { mkdtemp, rm, unlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { fakeComfyCommand } from '@genimage/fake-comfyui'
import { pino } from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import { freePortRange } from '../../../test/ports.js'
import type { ComfyPool } from '../src/comfyui/index.js'
import { loadConfig } from '../src/config/index.js'
import { createGenimageServer } from '../src/create-server.js'

const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url))
const cleanups: (() => Promise<unknown>)[] = []

afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!()
})

async function until<T>(check: () => Promise<T | undefined>, what: string): Promise<T> {
  for (let i = 0; i < 400; i++) {
    const value = await check()
    if (value !== undefined) return value
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  throw new Error(`timed out waiting for ${what}`)
}

const shellQuote = (word: string): string => `'${word.replaceAll("'", `'\\''`)}'`

/**
 * A COMFYUI_DIR whose `main.py` (run with COMFYUI_PYTHON=sh) execs the fake ComfyUI, but first waits while the file
 * `hold` exists in that directory: a ComfyUI that cannot come back until the test lets it.
 */
async function heldComfyDir(): Promise<{ dir: string; hold(): Promise<void>; release(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'genimage-pool-server-'))
  const { command, args } = fakeComfyCommand()
  const hold = join(dir, 'hold')
  await writeFile(
    join(dir, 'main.py'),
    [
      '# Not Python: the fake ComfyUI (COMFYUI_PYTHON=sh), held back while the file "hold" exists.',
      `while [ -e ${shellQuote(hold)} ]; do sleep 0.05; done`,
      `cd ${shellQuote(REPO_ROOT)} && exec ${[command, ...args].map(shellQuote).join(' ')} "$@"`,
      '',
    ].join('\n'),
  )
  cleanups.push(() => rm(dir, { recursive: true, force: true }))
  return { dir, hold: () => writeFile(hold, ''), release: () => unlink(hold) }
}

describe('the server over a pool of two supervised fake ComfyUI processes', () => {
  it('every instance down: /ready answers 503, accepted jobs wait, and both come back to serve them', async () => {
    const comfy = await heldComfyDir()
    const comfyPort = await freePortRange(2)
    const request = loadConfig([], {
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      COMFYUI_DIR: comfy.dir,
      COMFYUI_PYTHON: 'sh',
      LAZY_IMPORTS: 'false', // main.py is the fake's shell script: no Python launcher
      COMFYUI_PORT: String(comfyPort),
      SKIP_WEIGHTS_DOWNLOAD: 'true',
      GPUS: '0,1',
      COMFYUI_ARGS: '--step-ms 20 --quiet',
    })
    if (request.action !== 'run') throw new Error(request.action)
    const server = createGenimageServer(request.config, pino({ level: 'silent' }))
    cleanups.push(() => server.close())
    const url = await server.listen()
    await server.ready
    const pool = server.configured.backend as ComfyPool
    expect(pool.instances.map((instance) => instance.baseUrl)).toEqual([
      `http://127.0.0.1:${comfyPort}`,
      `http://127.0.0.1:${comfyPort + 1}`,
    ])
    expect((await fetch(`${url}/ready`)).status).toBe(200)

    await comfy.hold()
    for (const instance of pool.instances) process.kill(instance.pid!, 'SIGKILL')
    const notReady = await until(async () => {
      const response = await fetch(`${url}/ready`)
      return response.status === 503 ? response : undefined
    }, '/ready to answer 503')
    expect(notReady.headers.get('retry-after')).toBe('5')
    expect(await notReady.json()).toMatchObject({ status: 'restarting', backend: 'comfyui' })

    const submitted = await fetch(`${url}/queue/generate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'waits for ComfyUI', width: 256, height: 256 }),
    })
    expect(submitted.status).toBe(202)
    const { request_id: id } = (await submitted.json()) as { request_id: string }
    await comfy.release()

    const done = await until(async () => {
      const status = (await (await fetch(`${url}/queue/requests/${id}/status`)).json()) as { status: string }
      return status.status === 'COMPLETED' ? status : undefined
    }, 'the job to complete')
    expect(done).toMatchObject({ status: 'COMPLETED' })
    const result = (await (await fetch(`${url}/queue/requests/${id}`)).json()) as { image: { width: number } }
    expect(result.image).toMatchObject({ width: 256, height: 256 })
    await until(async () => ((await fetch(`${url}/ready`)).status === 200 ? true : undefined), '/ready to answer 200')
    const metrics = await (await fetch(`${url}/metrics`)).text()
    expect(metrics).toMatch(/^genimage_comfyui_restarts_total 2$/m)
    expect(metrics).toMatch(/^genimage_comfyui_instance_restarts_total\{instance="1",gpu="1"\} 1$/m)
  })
})

import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import sharp from 'sharp'
import { afterEach, describe, expect, it } from 'vitest'

const bin = fileURLToPath(new URL('../../packages/mocks/bin/genimage-mock.js', import.meta.url))
let child: ChildProcess | undefined

afterEach(() => {
  child?.kill('SIGTERM')
  child = undefined
})

/** Starts `genimage-mock` with `args` and resolves with the URL from its first line. */
const start = (args: string[]): Promise<string> =>
  new Promise((resolve, reject) => {
    child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      const url = /serving the mocked genimage API at (http:\/\/\S+)/.exec(output)?.[1]
      if (url) resolve(url)
    })
    child.stderr!.on('data', (chunk: Buffer) => {
      output += chunk.toString()
    })
    child.once('exit', (code) =>
      reject(new Error(`genimage-mock exited with ${code} (built? npm run build): ${output}`)),
    )
  })

describe('genimage-mock (the binary of @genimage/mocks)', () => {
  it('serves the mocked API over HTTP: images that decode, validation errors in the server shape', async () => {
    const url = await start(['--port', '0', '--api-key', 'k'])
    const post = (body: unknown, key = 'k') =>
      fetch(`${url}/generate`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Key ${key}` },
        body: JSON.stringify(body),
      })
    const generated = (await (await post({ prompt: 'a fox', width: 384, output_format: 'webp' })).json()) as {
      image: { url: string }
    }
    const bytes = Buffer.from(await (await fetch(generated.image.url)).arrayBuffer())
    const { format, width, height } = await sharp(bytes).metadata()
    expect({ format, width, height }).toEqual({ format: 'webp', width: 384, height: 512 })
    const invalid = await post({ prompt: 'a fox', width: 300 })
    expect(invalid.status).toBe(422)
    expect(((await invalid.json()) as { detail: { loc: string[] }[] }).detail[0]!.loc).toEqual(['body', 'width'])
    expect((await post({ prompt: 'a fox' }, 'wrong')).status).toBe(401)
  })

  it.each([
    [['--port', 'abc'], /--port must be an integer from 0 to 65535 \(got 'abc'\)/],
    [['--step-ms=-5'], /--step-ms must be an integer from 0 to 600000 \(got '-5'\)/],
    [['--bogus'], /Unknown option '--bogus'/],
    [['--mode', 'step'], /--mode must be auto or manual \(got 'step'\)/],
  ])('rejects %j with exit code 2 and says why', (args, message) => {
    const result = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' })
    expect(result.status).toBe(2)
    expect(result.stderr).toMatch(message)
    expect(result.stderr).toContain('Usage: genimage-mock')
  })

  it('prints its usage with --help and exits 0, naming manual mode and the job timeout', () => {
    const result = spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8' })
    expect(result.status).toBe(0)
    expect(result.stdout).toMatch(/--port <n>\s+Port to listen on/)
    expect(result.stdout).toMatch(/--mode <auto\|manual>\s+manual: each sampling step waits for/)
    expect(result.stdout).toMatch(/--job-timeout-ms <n>\s+Longest a generation may run before 504/)
  })

  it('--mode manual holds each step until POST /__mock/step', async () => {
    const url = await start(['--port', '0', '--mode', 'manual'])
    const submitted = (await (
      await fetch(`${url}/queue/generate`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ prompt: 'held', num_inference_steps: 2 }),
      })
    ).json()) as { request_id: string; status_url: string }
    const progress = async () =>
      ((await (await fetch(submitted.status_url)).json()) as { progress?: { step: number } }).progress?.step
    await expect
      .poll(async () => (await (await fetch(`${url}/__mock/held`)).json()) as unknown)
      .toEqual({
        held: [{ jobId: submitted.request_id, step: 1 }],
      })
    expect(await progress()).toBe(0)
    expect((await fetch(`${url}/__mock/step`, { method: 'POST' })).status).toBe(200)
    expect(await progress()).toBe(1)
    expect((await fetch(`${url}/__mock/finish`, { method: 'POST' })).status).toBe(200)
    expect(((await (await fetch(submitted.status_url)).json()) as { status: string }).status).toBe('COMPLETED')
    expect((await fetch(`${url}/__mock/step`, { method: 'POST' })).status).toBe(409)
  })

  it('--job-timeout-ms ends a generation that runs longer with 504', async () => {
    const url = await start(['--port', '0', '--mode', 'manual', '--job-timeout-ms', '200'])
    const response = await fetch(`${url}/generate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'never released' }),
    })
    expect(response.status).toBe(504)
  })
})

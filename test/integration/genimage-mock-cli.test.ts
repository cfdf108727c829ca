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
  ])('rejects %j with exit code 2 and says why', (args, message) => {
    const result = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' })
    expect(result.status).toBe(2)
    expect(result.stderr).toMatch(message)
    expect(result.stderr).toContain('Usage: genimage-mock')
  })

  it('prints its usage with --help and exits 0', () => {
    const result = spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8' })
    expect(result.status).toBe(0)
    expect(result.stdout).toMatch(/--port <n>\s+Port to listen on/)
  })
})

import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createClient } from '@genimage/client'
import { type MockHttpServer, startMockHttpServer } from '@genimage/mocks/node'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const script = join(dirname(fileURLToPath(import.meta.url)), '../../examples/node/generate.mjs')
let mock: MockHttpServer
let dir: string

beforeAll(async () => {
  mock = await startMockHttpServer({ port: 0, stepMs: 20 })
  dir = await mkdtemp(join(tmpdir(), 'genimage-cli-'))
})

afterAll(async () => {
  await mock?.close()
  await rm(dir, { recursive: true, force: true })
})

/** Runs the CLI the way a user does, with `node`, and collects what it printed; `onStderr` sees it as it comes. */
const run = (args: string[], onStderr?: (soFar: string) => void) =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], {
      env: { ...process.env, GENIMAGE_URL: '', GENIMAGE_API_KEY: '' },
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => {
      stdout += chunk
    })
    child.stderr.on('data', (chunk) => {
      stderr += chunk
      onStderr?.(stderr)
    })
    child.once('error', reject)
    child.once('close', (code) => resolve({ code, stdout, stderr }))
  })

describe('examples/node/generate.mjs', () => {
  it('saves a PNG of the requested size and shows step progress on stderr', async () => {
    const out = join(dir, 'fox.png')
    const result = await run([
      'a red fox in the snow',
      '--out',
      out,
      '--width',
      '640',
      '--height',
      '384',
      '--steps',
      '3',
      '--seed',
      '42',
      '--url',
      mock.url,
    ])
    expect(result.stderr).toContain('step 3/3')
    expect(result.stderr).toMatch(/saved .*fox\.png \(640×384, seed 42/)
    expect(result.code).toBe(0)
    const metadata = await sharp(await readFile(out)).metadata()
    expect(metadata).toMatchObject({ format: 'png', width: 640, height: 384 })
  })

  it('picks the format from the file extension', async () => {
    const out = join(dir, 'fox.webp')
    const result = await run(['a fox', '--out', out, '--url', mock.url])
    expect(result.code).toBe(0)
    expect(await sharp(await readFile(out)).metadata()).toMatchObject({ format: 'webp', width: 512, height: 512 })
  })

  it('prints the usage with --help and exits 0', async () => {
    const result = await run(['--help'])
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/^Usage: node generate\.mjs/)
    expect(result.stdout).toContain('--width')
  })

  it.each([
    [['a fox', '--out', 'x.png', '--bogus'], /Unknown option '--bogus'/],
    [['a fox', '--out', 'x.png', '--width', 'wide'], /--width must be a whole number \(got 'wide'\)/],
    [['--out', 'x.png'], /missing the prompt/],
    [['a fox'], /missing --out/],
    [['a fox', '--out', 'x.gif'], /--out must end in \.png/],
    [['a', 'fox', '--out', 'x.png'], /one prompt only; quote it/],
  ])('rejects the bad command line %j with a message and a non-zero exit', async (args, message) => {
    const result = await run([...args, '--url', mock.url])
    expect(result.code).not.toBe(0)
    expect(result.stderr).toMatch(message)
    expect(result.stderr).toContain('--help')
  })

  it('explains a value the server rejects, naming the field, and exits 1 without writing a file', async () => {
    const out = join(dir, 'odd.png')
    const result = await run(['a fox', '--out', out, '--width', '513', '--url', mock.url])
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/error: invalid request: width: .*multiple of 8/)
    await expect(stat(out)).rejects.toThrow(/ENOENT/)
  })

  it('says when the server cannot be reached', async () => {
    const result = await run(['a fox', '--out', join(dir, 'none.png'), '--url', 'http://127.0.0.1:1', '--timeout', '5'])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('cannot reach http://127.0.0.1:1')
  })
})

describe('examples/node/generate.mjs behind another job', () => {
  let manual: MockHttpServer
  beforeAll(async () => {
    manual = await startMockHttpServer({ port: 0, mode: 'manual' })
  })
  afterAll(() => manual?.close())

  it('shows its queue position first, then the steps', async () => {
    // Another user's job holds the (one-at-a-time) backend, so ours waits in the queue.
    const other = createClient({ baseUrl: manual.url }).queue.submit({ prompt: 'someone else' })
    await manual.genimage.controls.waitForHeld()
    let released = false
    const result = await run(
      ['a queued fox', '--out', join(dir, 'queued.png'), '--steps', '2', '--url', manual.url],
      (soFar) => {
        if (!released && soFar.includes('queued: next in line')) {
          released = true
          void manual.genimage.controls.finish()
        }
      },
    )
    await other
    expect(result.code).toBe(0)
    const lines = result.stderr.trim().split('\n')
    expect(lines[0]).toBe('queued: next in line')
    expect(lines.indexOf('[########################] step 2/2')).toBeGreaterThan(0)
    expect(lines.at(-1)).toMatch(/^saved .*queued\.png \(512×512/)
  })
})

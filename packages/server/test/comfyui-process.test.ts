import { type ChildProcess, spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import type { BackendJob, ResolvedGenerateRequest } from '@genimage/core'
import { fakeComfyCommand } from '@genimage/fake-comfyui'
import sharp from 'sharp'
import { afterEach, describe, expect, it } from 'vitest'
import { createComfyBackend } from '../src/comfyui/index.js'
import { freePort } from './fixtures/free-port.js'

const INPUT: ResolvedGenerateRequest = {
  prompt: 'a ship in a bottle',
  negative_prompt: '',
  width: 512,
  height: 256,
  num_inference_steps: 2,
  seed: 3,
  output_format: 'webp',
  sync_mode: false,
  num_images: 1,
}

const children = new Set<ChildProcess>()
const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!()
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  children.clear()
})

/** Spawns the fake with ComfyUI's own flags plus knobs; resolves once it prints ComfyUI's "To see the GUI" line. */
async function spawnFake(
  port: number,
  knobs: string[],
): Promise<{ child: ChildProcess; exited: Promise<NodeJS.Signals | number | null> }> {
  const comfyFlags = [
    '--listen',
    '127.0.0.1',
    '--port',
    String(port),
    '--disable-auto-launch',
    '--preview-method',
    'none',
  ]
  const { command, args } = fakeComfyCommand([...comfyFlags, '--output-directory', '/tmp/unused', ...knobs])
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  children.add(child)
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ?? code)),
  )
  let output = ''
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      if (output.includes('To see the GUI go to: http://127.0.0.1:')) resolve()
    }
    child.stderr!.on('data', onData)
    child.stdout!.on('data', onData)
    child.once('exit', () => reject(new Error(`fake ComfyUI exited during boot:\n${output}`)))
  })
  return { child, exited }
}

describe('ComfyUI backend with the fake ComfyUI as a child process', () => {
  it('loses ComfyUI to a SIGKILL mid-job, and after a restart resolves the same run()', async () => {
    const port = await freePort()
    const first = await spawnFake(port, ['--step-ms', '30', '--crash-node', 'SamplerCustom'])
    const backend = createComfyBackend({
      baseUrl: `http://127.0.0.1:${port}`,
      warmup: false,
      reconnectInitialMs: 20,
      reconnectMaxMs: 200,
      reconcileIntervalMs: 200,
    })
    cleanups.push(() => backend.close())
    await backend.start()
    expect(backend.state()).toBe('ready')

    const progress: number[] = []
    const job: BackendJob = {
      id: randomUUID(),
      input: INPUT,
      signal: new AbortController().signal,
      reportProgress: (step) => progress.push(step),
      log: () => {},
    }
    const run = backend.run(job)
    run.catch(() => {})

    // The crash fault kills the process the way the kernel or a supervisor would.
    expect(await first.exited).toBe('SIGKILL')
    backend.markRestarting('child died')
    expect(backend.state()).toBe('restarting')

    await spawnFake(port, ['--step-ms', '5'])
    await backend.markRestarted()
    const image = (await run).images[0]!

    expect(await sharp(Buffer.from(image.bytes)).metadata()).toMatchObject({ format: 'webp', width: 512, height: 256 })
    expect(progress.at(-1)).toBe(2)
    expect(backend.state()).toBe('ready')
    // The new process ran the resubmitted prompt and the bridge cleaned its history.
    const deadline = Date.now() + 5000
    let history: unknown
    while (Date.now() < deadline) {
      history = await (await fetch(`http://127.0.0.1:${port}/history`)).json()
      if (Object.keys(history as object).length === 0) break
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    expect(history).toEqual({})
    const state = (await (await fetch(`http://127.0.0.1:${port}/fake/state`)).json()) as { pid: number }
    expect(state.pid).not.toBe(first.child.pid)
  })
})

/**
 * The CPU thread budget of a ComfyUI pool (issue 9 #6): every instance gets `OMP_NUM_THREADS` and `MKL_NUM_THREADS`
 * = cores ÷ instances (or `COMFYUI_THREADS`), unless the operator set them, and its process really sees them.
 */
import { readFile } from 'node:fs/promises'
import { availableParallelism, tmpdir } from 'node:os'
import { pino } from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import { type ComfyInstance, createComfyInstance } from '../src/comfyui/index.js'
import { threadEnv, threadsPerInstance } from '../src/comfyui/pool/index.js'
import { ConfigError, loadConfig } from '../src/config/index.js'
import { freePort } from './fixtures/free-port.js'

const silent = pino({ level: 'silent' })
const cleanups: (() => Promise<unknown>)[] = []

afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!()
})

const environOf = async (pid: number): Promise<Record<string, string>> =>
  Object.fromEntries(
    (await readFile(`/proc/${pid}/environ`, 'utf8'))
      .split('\0')
      .filter(Boolean)
      .map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]),
  )

async function pidOf(instance: ComfyInstance): Promise<number> {
  for (let i = 0; i < 400; i++) {
    if (instance.pid !== undefined) return instance.pid
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  throw new Error('the instance started no process')
}

describe('CPU threads per ComfyUI instance', () => {
  it('shares the available cores out evenly, at least one each, unless COMFYUI_THREADS sets the number', () => {
    expect(threadsPerInstance({ instances: 1, cpus: 32 })).toBe(32)
    expect(threadsPerInstance({ instances: 4, cpus: 32 })).toBe(8)
    expect(threadsPerInstance({ instances: 6, cpus: 32 })).toBe(5)
    expect(threadsPerInstance({ instances: 16, cpus: 4 })).toBe(1)
    expect(threadsPerInstance({ instances: 4, threads: 0, cpus: 32 })).toBe(8)
    expect(threadsPerInstance({ instances: 4, threads: 3, cpus: 32 })).toBe(3)
    expect(threadsPerInstance({ instances: 2 })).toBe(Math.max(1, Math.floor(availableParallelism() / 2)))
  })

  it('sets OMP_NUM_THREADS and MKL_NUM_THREADS, leaving a variable the operator set when automatic', () => {
    expect(threadEnv({ instances: 4, cpus: 32, env: {} })).toEqual({ OMP_NUM_THREADS: '8', MKL_NUM_THREADS: '8' })
    expect(threadEnv({ instances: 4, cpus: 32, env: { OMP_NUM_THREADS: '2', MKL_NUM_THREADS: '' } })).toEqual({
      MKL_NUM_THREADS: '8',
    })
    expect(threadEnv({ instances: 4, threads: 3, env: { OMP_NUM_THREADS: '2', MKL_NUM_THREADS: '2' } })).toEqual({
      OMP_NUM_THREADS: '3',
      MKL_NUM_THREADS: '3',
    })
  })

  it('reads COMFYUI_THREADS (0 = automatic, the default) and refuses bad values, naming the setting', () => {
    const threads = (argv: string[], env: Record<string, string>) => {
      const request = loadConfig(argv, env)
      return request.action === 'run' ? request.config.comfyuiThreads : undefined
    }
    expect(threads([], {})).toBe(0)
    expect(threads([], { COMFYUI_THREADS: '6' })).toBe(6)
    expect(threads(['--comfyui-threads', '4'], {})).toBe(4)
    for (const bad of ['-1', 'many', '2.5']) {
      expect(() => loadConfig([], { COMFYUI_THREADS: bad })).toThrow(ConfigError)
      expect(() => loadConfig([], { COMFYUI_THREADS: bad })).toThrow(
        `invalid COMFYUI_THREADS (environment) "${bad}": expected an integer from 0 to 1024`,
      )
    }
  })

  it('gives the process of every instance its budget, its GPU, and the rest of the environment', async () => {
    const gpus = ['0', '1']
    const instances = 4
    const env = threadEnv({ instances, cpus: 32, env: {} })
    const started: ComfyInstance[] = []
    for (let index = 0; index < instances; index++) {
      const instance = createComfyInstance({
        index,
        gpu: gpus[index % gpus.length],
        env,
        supervisor: {
          // Stands in for ComfyUI: a process whose environment can be read; it never answers, and that is fine here.
          command: 'sh',
          args: ['-c', 'exec sleep 60'],
          env: { ...process.env, OMP_NUM_THREADS: '99', GENIMAGE_TEST_MARK: 'kept' },
          cwd: tmpdir(),
          port: await freePort(),
          readinessTimeoutMs: 60_000,
          killGraceMs: 500,
        },
        backend: { warmup: false },
        logger: silent,
      })
      started.push(instance)
      cleanups.push(() => instance.stop())
      instance.start().catch(() => {})
    }
    for (const [index, instance] of started.entries()) {
      const seen = await environOf(await pidOf(instance))
      expect(seen).toMatchObject({
        OMP_NUM_THREADS: '8',
        MKL_NUM_THREADS: '8',
        CUDA_VISIBLE_DEVICES: gpus[index % gpus.length],
        GENIMAGE_TEST_MARK: 'kept',
      })
    }
  })
})

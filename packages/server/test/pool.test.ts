import { mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type BackendJob, MetricsRegistry, type ResolvedGenerateRequest } from '@genimage/core'
import { fakeComfyCommand } from '@genimage/fake-comfyui'
import { pino } from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import { freePortRange } from '../../../test/ports.js'
import {
  type ComfyInstance,
  createComfyInstance,
  createComfyPool,
  DEFAULT_WARMUP,
  gpuList,
  type InstanceState,
  planInstances,
  visibleGpus,
} from '../src/comfyui/index.js'
import { ConfigError, loadConfig } from '../src/config/index.js'

const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url))
const silent = pino({ level: 'silent' })
const cleanups: (() => Promise<unknown>)[] = []

afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!()
})

async function until<T>(check: () => Promise<T | undefined> | T | undefined, what: string): Promise<T> {
  for (let i = 0; i < 400; i++) {
    const value = await check()
    if (value !== undefined) return value
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  throw new Error(`timed out waiting for ${what}`)
}

/** Resolves when the instance reaches `state` (at once if it is there). */
function reaches(instance: ComfyInstance, state: InstanceState): Promise<void> {
  if (instance.state() === state) return Promise.resolve()
  return new Promise((resolve) => {
    const off = instance.on('state', (change) => {
      if (change.state !== state) return
      off()
      resolve()
    })
  })
}

/**
 * A pool of supervised fake ComfyUI processes, laid out by {@link planInstances}. Each process starts through `sh`,
 * which waits while the file `hold` of the pool's directory exists: a test holds a killed instance down with it.
 */
async function startPool(options: { gpus: string[]; perGpu?: number; stepMs: number }) {
  const perGpu = options.perGpu ?? 1
  const basePort = await freePortRange(options.gpus.length * perGpu)
  const comfyuiDir = await mkdtemp(join(tmpdir(), 'genimage-pool-'))
  const hold = join(comfyuiDir, 'hold')
  const slots = planInstances({ gpus: options.gpus, perGpu, basePort, comfyuiDir })
  const fake = fakeComfyCommand()
  const metrics = new MetricsRegistry()
  const waitWhileHeld = 'while [ -e "$GENIMAGE_TEST_HOLD" ]; do sleep 0.05; done; exec "$0" "$@"'
  const instances = slots.map((slot) =>
    createComfyInstance({
      index: slot.index,
      gpu: slot.gpu,
      supervisor: {
        command: 'sh',
        args: [
          '-c',
          waitWhileHeld,
          fake.command,
          ...fake.args,
          '--listen',
          '127.0.0.1',
          '--port',
          String(slot.port),
          ...slot.args,
          '--quiet',
        ],
        env: { ...process.env, GENIMAGE_TEST_HOLD: hold },
        // The fake runs from sources through tsx, which node resolves from the repository.
        cwd: REPO_ROOT,
        port: slot.port,
        readinessIntervalMs: 20,
        backoff: { initialMs: 50 },
        killGraceMs: 2000,
      },
      backend: { warmup: false },
      logger: silent,
    }),
  )
  const pool = createComfyPool({ instances, metrics, logger: silent })
  cleanups.push(async () => {
    await pool.close()
    await rm(comfyuiDir, { recursive: true, force: true })
  })
  await pool.start()
  await Promise.all(instances.map((instance) => setKnobs(instance, { stepMs: options.stepMs })))
  return { pool, metrics, slots, comfyuiDir, hold: () => writeFile(hold, ''), release: () => unlink(hold) }
}

const setKnobs = async (instance: ComfyInstance, knobs: Record<string, unknown>): Promise<void> => {
  const response = await fetch(`${instance.baseUrl}/fake/knobs`, { method: 'POST', body: JSON.stringify(knobs) })
  expect(response.status).toBe(200)
}

const fakeState = async (instance: ComfyInstance) =>
  (await (await fetch(`${instance.baseUrl}/fake/state`)).json()) as { pid: number; running: string | null }

/** A job as the engine hands it over, recording its logs. */
function makeJob(id: string, input: Partial<ResolvedGenerateRequest> = {}) {
  const logs: string[] = []
  const controller = new AbortController()
  const job: BackendJob = {
    id,
    input: { ...DEFAULT_WARMUP, prompt: id, ...input },
    signal: controller.signal,
    reportProgress: () => {},
    log: (message) => logs.push(message),
  }
  return { job, logs, controller }
}

/** `name{labels} value` lines of a metric family, as `{ 'instance=0,outcome=succeeded': value }`. */
function series(metrics: MetricsRegistry, name: string): Record<string, number> {
  const found: Record<string, number> = {}
  for (const line of metrics.render().split('\n')) {
    const match = new RegExp(`^${name}\\{(.*)\\} (\\S+)$`).exec(line)
    if (match) found[match[1]!.replaceAll('"', '')] = Number(match[2])
  }
  return found
}

const environOf = async (pid: number): Promise<Record<string, string>> =>
  Object.fromEntries(
    (await readFile(`/proc/${pid}/environ`, 'utf8'))
      .split('\0')
      .filter(Boolean)
      .map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]),
  )

describe('pool layout and settings', () => {
  it('lays instances out GPU by GPU, on consecutive ports, each with its own output and temp directory', () => {
    const slots = planInstances({ gpus: ['0', '1'], perGpu: 2, basePort: 9000, comfyuiDir: '/opt/ComfyUI' })
    expect(slots.map(({ index, gpu, port }) => ({ index, gpu, port }))).toEqual([
      { index: 0, gpu: '0', port: 9000 },
      { index: 1, gpu: '1', port: 9001 },
      { index: 2, gpu: '0', port: 9002 },
      { index: 3, gpu: '1', port: 9003 },
    ])
    expect(slots[3]!.args).toEqual([
      '--output-directory',
      '/opt/ComfyUI/output/instance-3',
      '--temp-directory',
      '/opt/ComfyUI/temp/instance-3',
    ])
  })

  it('gives a single instance ComfyUI’s own directories, and pins no GPU when none is known', () => {
    expect(planInstances({ gpus: [], perGpu: 1, basePort: 8188, comfyuiDir: '/c' })).toEqual([
      { index: 0, gpu: undefined, port: 8188, args: [] },
    ])
  })

  it('refuses ports past 65535, naming the settings', () => {
    expect(() => planInstances({ gpus: ['0'], perGpu: 4, basePort: 65_534, comfyuiDir: '/c' })).toThrow(
      /COMFYUI_PORT 65534 .* 4 ComfyUI instances \(GPUS × COMFYUI_PER_GPU\)/,
    )
  })

  it('defaults to the visible GPUs: CUDA_VISIBLE_DEVICES first, else nvidia-smi -L, else none', () => {
    const listing = 'GPU 0: NVIDIA H200 (UUID: GPU-1b2c)\nGPU 1: NVIDIA H200 (UUID: GPU-3d4e)\n'
    expect(visibleGpus({ CUDA_VISIBLE_DEVICES: '2,3' }, () => listing)).toEqual(['2', '3'])
    // CUDA stops at the first invalid entry; an empty value hides every GPU.
    expect(visibleGpus({ CUDA_VISIBLE_DEVICES: '1,-1,0' }, () => listing)).toEqual(['1'])
    expect(visibleGpus({ CUDA_VISIBLE_DEVICES: '' }, () => listing)).toEqual([])
    expect(visibleGpus({}, () => listing)).toEqual(['0', '1'])
    expect(visibleGpus({}, () => undefined)).toEqual([])
  })

  it('parses GPUS as indices or UUIDs, each once', () => {
    const parse = (raw: string) => gpuList().parse(raw, { cwd: '/' })
    expect(parse('0, 1')).toEqual(['0', '1'])
    expect(parse('GPU-8e1a6b2c-0f3d-4b7e-9a51-2c3d4e5f6a7b')).toHaveLength(1)
    expect(() => parse('0,0')).toThrow(/listed twice .*COMFYUI_PER_GPU/)
  })

  it.each([
    [{ GPUS: 'a' }, /invalid GPUS \(environment\) "a": expected CUDA device indices or UUIDs/],
    [{ GPUS: '0,,1' }, /invalid GPUS \(environment\) "0,,1"/],
    [{ COMFYUI_PER_GPU: '0' }, /invalid COMFYUI_PER_GPU \(environment\) "0": expected an integer from 1 to 16/],
  ])('refuses bad pool settings at startup, naming the setting: %o', (env, message) => {
    expect(() => loadConfig([], env)).toThrow(ConfigError)
    expect(() => loadConfig([], env)).toThrow(message)
  })
})

describe('a pool of supervised fake ComfyUI processes', () => {
  it('runs one job per instance at once, each instance on its own GPU, port and directories', async () => {
    const { pool, metrics, slots, comfyuiDir } = await startPool({ gpus: ['0', '1'], perGpu: 2, stepMs: 400 })
    expect(pool.instances).toHaveLength(4)
    expect(pool.concurrency).toBe(4 * pool.instances[0]!.concurrency)
    expect(pool.state()).toBe('ready')
    for (const [index, instance] of pool.instances.entries()) {
      const slot = slots[index]!
      expect(instance.baseUrl).toBe(`http://127.0.0.1:${slot.port}`)
      expect((await environOf(instance.pid!))['CUDA_VISIBLE_DEVICES']).toBe(slot.gpu)
      const stats = (await (await fetch(`${instance.baseUrl}/system_stats`)).json()) as { system: { argv: string[] } }
      expect(stats.system.argv.join(' ')).toContain(
        `--port ${slot.port} --output-directory ${join(comfyuiDir, 'output', `instance-${index}`)}`,
      )
    }

    const jobs = ['a', 'b', 'c', 'd'].map((id) => makeJob(id, { num_inference_steps: 10 }))
    const results = jobs.map(({ job }) => pool.run(job))
    // All four are in ComfyUI at the same moment, one per instance.
    const running = await until(async () => {
      const states = await Promise.all(pool.instances.map(fakeState))
      return states.every((state) => state.running !== null) ? states : undefined
    }, 'every instance to run a prompt')
    expect(new Set(running.map((state) => state.running)).size).toBe(4)
    await Promise.all(pool.instances.map((instance) => setKnobs(instance, { stepMs: 0 })))

    for (const { images } of await Promise.all(results)) expect(images).toMatchObject([{ contentType: 'image/png' }])
    const outcomes = series(metrics, 'genimage_comfyui_instance_jobs_total')
    for (const slot of slots) {
      expect(outcomes[`instance=${slot.index},gpu=${slot.gpu},outcome=succeeded`]).toBe(1)
    }
  })

  it('moves the job of a SIGKILLed instance to another one, restarts the killed one, loses nothing', async () => {
    const { pool, metrics, hold, release } = await startPool({ gpus: ['0', '1'], stepMs: 100 })
    const [first, second] = pool.instances
    const jobs = ['left', 'right'].map((id) => makeJob(id, { num_inference_steps: 10 }))
    const results = jobs.map(({ job }) => pool.run(job))
    const killedPid = await until(async () => {
      const [a, b] = await Promise.all([fakeState(first!), fakeState(second!)])
      return a.running && b.running ? a.pid : undefined
    }, 'both instances to run a prompt')
    const victim = jobs.find(({ job }) => first!.hasJob(job.id))!

    // The killed instance stays down until both jobs are done: its job can only finish on the other one.
    await hold()
    process.kill(killedPid, 'SIGKILL')

    const images = await Promise.all(results)
    expect(images.map(({ images: [image] }) => image?.contentType)).toEqual(['image/png', 'image/png'])
    expect(victim.logs).toContainEqual(
      expect.stringMatching(/ComfyUI instance 0 went down: .*SIGKILL; running the job again on another instance/),
    )
    const outcomes = series(metrics, 'genimage_comfyui_instance_jobs_total')
    expect(outcomes['instance=0,gpu=0,outcome=moved']).toBe(1)
    expect(outcomes['instance=1,gpu=1,outcome=succeeded']).toBe(2)

    await release()
    await reaches(first!, 'ready')
    expect(first!.pid).not.toBe(killedPid)
    expect(series(metrics, 'genimage_comfyui_instance_restarts_total')).toEqual({
      'instance=0,gpu=0': 1,
      'instance=1,gpu=1': 0,
    })
    expect(metrics.render()).toMatch(/^genimage_comfyui_restarts_total 1$/m)
    expect(series(metrics, 'genimage_comfyui_instance_ready')).toEqual({ 'instance=0,gpu=0': 1, 'instance=1,gpu=1': 1 })
    // The restarted instance takes jobs again: two at once go one to each.
    const after = ['again-1', 'again-2'].map((id) => makeJob(id))
    await Promise.all(after.map(({ job }) => pool.run(job)))
    expect(series(metrics, 'genimage_comfyui_instance_jobs_total')['instance=0,gpu=0,outcome=succeeded']).toBe(1)
  })

  it('keeps jobs waiting while every instance is down and runs them once one is back', async () => {
    const { pool } = await startPool({ gpus: ['0', '1'], stepMs: 0 })
    const pids = pool.instances.map((instance) => instance.pid!)
    const down = Promise.all(pool.instances.map((instance) => reaches(instance, 'restarting')))
    for (const pid of pids) process.kill(pid, 'SIGKILL')
    await down
    expect(pool.state()).toBe('restarting')

    const waiting = makeJob('waits for a restart')
    const image = (await pool.run(waiting.job)).images[0]!

    expect(image.contentType).toBe('image/png')
    expect(pool.instances.some((instance) => instance.state() === 'ready')).toBe(true)
  })

  it('cancelling a job that waits for an instance rejects it with the cancel reason', async () => {
    const { pool } = await startPool({ gpus: ['0'], stepMs: 0 })
    const [instance] = pool.instances
    const down = reaches(instance!, 'restarting')
    process.kill(instance!.pid!, 'SIGKILL')
    await down
    const waiting = makeJob('cancelled while waiting')
    const result = pool.run(waiting.job)
    waiting.controller.abort(new Error('cancelled by the client'))
    await expect(result).rejects.toThrow('cancelled by the client')
  })
})

import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { pino } from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import {
  backoffDelay,
  buildComfyArgs,
  type ComfySupervisor,
  type ComfySupervisorEvents,
  type ComfySupervisorOptions,
  createComfySupervisor,
} from '../src/supervisor/index.js'
import { freePort } from './fixtures/free-port.js'

const fixture = fileURLToPath(new URL('./fixtures/fake-comfy-process.mjs', import.meta.url))
const fixtureDir = fileURLToPath(new URL('./fixtures/', import.meta.url))
const supervisors: ComfySupervisor[] = []

afterEach(async () => {
  await Promise.all(supervisors.splice(0).map((s) => s.stop()))
})

/** True while `pid` is a live process (zombies awaiting their reaper count as gone). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return false
  }
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (check()) return
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  throw new Error(`timed out waiting until ${what}`)
}

function next<K extends keyof ComfySupervisorEvents>(
  supervisor: ComfySupervisor,
  event: K,
  match: (payload: ComfySupervisorEvents[K]) => boolean = () => true,
): Promise<ComfySupervisorEvents[K]> {
  return new Promise((resolve) => {
    const off = supervisor.on(event, (payload) => {
      if (!match(payload)) return
      off()
      resolve(payload)
    })
  })
}

function captureLogger() {
  const records: Array<Record<string, unknown>> = []
  const logger = pino({ level: 'debug' }, { write: (line: string) => records.push(JSON.parse(line)) })
  return { logger, records }
}

async function makeSupervisor(options: Partial<ComfySupervisorOptions> & { fakeEnv?: Record<string, string> } = {}) {
  const { fakeEnv, ...rest } = options
  const { logger, records } = captureLogger()
  const supervisor = createComfySupervisor({
    command: process.execPath,
    entry: fixture,
    cwd: fixtureDir,
    port: await freePort(),
    env: { ...process.env, ...fakeEnv },
    readinessIntervalMs: 20,
    readinessTimeoutMs: 10_000,
    healthIntervalMs: 50,
    healthTimeoutMs: 200,
    unhealthyAfter: 2,
    killGraceMs: 2000,
    stableAfterMs: 60_000,
    backoff: { initialMs: 20, maxMs: 1000, factor: 3 },
    logger,
    ...rest,
  })
  supervisors.push(supervisor)
  return { supervisor, records }
}

async function control(supervisor: ComfySupervisor, action: string): Promise<void> {
  await fetch(`${supervisor.baseUrl}/control/${action}`, { method: 'POST' })
}

describe('buildComfyArgs and backoffDelay', () => {
  it('listens on loopback, never opens a browser, and appends operator flags last', () => {
    expect(buildComfyArgs({ port: 9000, extraModelPathsConfig: '/data/x.yaml', extraArgs: ['--highvram'] })).toEqual([
      'main.py',
      '--listen',
      '127.0.0.1',
      '--port',
      '9000',
      '--disable-auto-launch',
      '--log-stdout',
      '--extra-model-paths-config',
      '/data/x.yaml',
      '--highvram',
    ])
  })

  it('grows the delay by the factor and caps it', () => {
    const options = { initialMs: 100, maxMs: 1000, factor: 3 }
    expect([1, 2, 3, 4].map((attempt) => backoffDelay(attempt, options))).toEqual([100, 300, 900, 1000])
  })
})

describe('createComfySupervisor', () => {
  it('starts the process, waits for /system_stats and forwards its output lines to the logger', async () => {
    const { supervisor, records } = await makeSupervisor()
    const ready = next(supervisor, 'ready')
    await supervisor.start()
    expect(supervisor.state).toBe('ready')
    const { pid } = await ready
    expect(supervisor.pid).toBe(pid)
    expect(isAlive(pid)).toBe(true)
    const stats = await (await fetch(`${supervisor.baseUrl}/system_stats`)).json()
    expect(stats.system.pid).toBe(pid)

    await until(() => records.some((r) => String(r.msg).startsWith('To see the GUI')), 'the boot line is logged')
    const comfyLines = records.filter((r) => r.source === 'comfyui')
    expect(comfyLines).toContainEqual(
      expect.objectContaining({ stream: 'stdout', msg: expect.stringContaining('--port') }),
    )
    expect(comfyLines.map((r) => r.msg)).toEqual(expect.arrayContaining(['progress 50%', 'progress 100%']))
    expect(comfyLines.find((r) => r.msg === 'progress 100%')).toMatchObject({ stream: 'stderr' })
    // Progress comes over the WebSocket; ComfyUI's tqdm bars would only flood the log.
    expect(comfyLines.map((r) => r.msg)).toContain('env TQDM_DISABLE=1 PYTHONUNBUFFERED=1')
  })

  it('restarts a process killed from outside, with growing backoff, and is ready again', async () => {
    const { supervisor } = await makeSupervisor()
    await supervisor.start()
    const first = supervisor.pid!

    const exited = next(supervisor, 'exit')
    const restarting = next(supervisor, 'restarting')
    const readyAgain = next(supervisor, 'ready', (e) => e.pid !== first)
    process.kill(first, 'SIGKILL')
    expect(await exited).toEqual({ pid: first, code: null, signal: 'SIGKILL', expected: false })
    expect(await restarting).toEqual({ attempt: 1, delayMs: 20, reason: 'exited on SIGKILL' })
    const second = (await readyAgain).pid
    await supervisor.waitReady()
    expect(isAlive(first)).toBe(false)
    expect(isAlive(second)).toBe(true)

    const restartingAgain = next(supervisor, 'restarting')
    const readyThird = next(supervisor, 'ready', (e) => e.pid !== second)
    await control(supervisor, 'exit?code=3')
    expect(await restartingAgain).toEqual({ attempt: 2, delayMs: 60, reason: 'exited with code 3' })
    await readyThird
    expect(supervisor.restarts).toBe(2)
  })

  it('resets the backoff after a stable period', async () => {
    const { supervisor } = await makeSupervisor({ stableAfterMs: 100 })
    await supervisor.start()
    const first = supervisor.pid!
    const restarting = next(supervisor, 'restarting')
    const stable = next(supervisor, 'stable', (e) => e.pid !== first)
    process.kill(first, 'SIGKILL')
    expect((await restarting).attempt).toBe(1)
    const second = (await stable).pid

    const restartingAgain = next(supervisor, 'restarting')
    process.kill(second, 'SIGKILL')
    expect(await restartingAgain).toMatchObject({ attempt: 1, delayMs: 20 })
  })

  it('detects a hung process, kills it and starts a healthy one', async () => {
    const { supervisor } = await makeSupervisor()
    await supervisor.start()
    const hung = supervisor.pid!
    const unhealthy = next(supervisor, 'unhealthy')
    const exited = next(supervisor, 'exit')
    const ready = next(supervisor, 'ready', (e) => e.pid !== hung)
    await control(supervisor, 'hang')

    const event = await unhealthy
    expect(event.pid).toBe(hung)
    expect(event.failures).toBe(2)
    expect(event.reason).toMatch(/no answer within 200 ms/)
    expect(await exited).toMatchObject({ pid: hung, signal: 'SIGTERM', expected: true })
    await ready
    expect(isAlive(hung)).toBe(false)
    expect(supervisor.state).toBe('ready')
  })

  it('escalates to SIGKILL when the process ignores SIGTERM', async () => {
    const { supervisor } = await makeSupervisor({ killGraceMs: 200, fakeEnv: { FAKE_IGNORE_SIGTERM: '1' } })
    await supervisor.start()
    const stubborn = supervisor.pid!
    const exited = next(supervisor, 'exit')
    await control(supervisor, 'hang')
    expect(await exited).toMatchObject({ pid: stubborn, signal: 'SIGKILL', expected: true })
  })

  it('kills a process that never becomes ready within the readiness timeout', async () => {
    const { supervisor } = await makeSupervisor({ readinessTimeoutMs: 300, fakeEnv: { FAKE_BOOT_DELAY_MS: '60000' } })
    const unhealthy = next(supervisor, 'unhealthy')
    const restarting = next(supervisor, 'restarting')
    void supervisor.start().catch(() => {})
    expect((await unhealthy).reason).toBe('not ready within 300 ms')
    expect(await restarting).toMatchObject({ attempt: 1, reason: 'not ready within 300 ms' })
  })

  it('restart(reason) replaces a ready process and counts the restart', async () => {
    const { supervisor } = await makeSupervisor()
    await supervisor.start()
    const old = supervisor.pid!
    const restarting = next(supervisor, 'restarting')
    await supervisor.restart('job 42 hung')
    expect(await restarting).toMatchObject({ reason: 'job 42 hung' })
    expect(supervisor.pid).not.toBe(old)
    expect(isAlive(old)).toBe(false)
    expect(supervisor.restarts).toBe(1)
  })

  it('stop() leaves no process behind, grandchildren included', async () => {
    const { supervisor, records } = await makeSupervisor({ fakeEnv: { FAKE_GRANDCHILD: '1' } })
    await supervisor.start()
    const pid = supervisor.pid!
    await until(() => records.some((r) => /^grandchild pid=\d+$/.test(String(r.msg))), 'the grandchild is logged')
    const grandchild = Number(String(records.find((r) => /^grandchild pid=/.test(String(r.msg)))?.msg).split('=')[1])
    expect(isAlive(grandchild)).toBe(true)

    const stopped = next(supervisor, 'stopped')
    await supervisor.stop()
    await stopped
    expect(supervisor.state).toBe('stopped')
    expect(supervisor.pid).toBeUndefined()
    expect(isAlive(pid)).toBe(false)
    await until(() => !isAlive(grandchild), 'the grandchild is gone')
    await expect(supervisor.waitReady()).rejects.toThrow(/stopped/)
  })

  it('stop() during boot kills the booting process and rejects start()', async () => {
    const { supervisor } = await makeSupervisor({ fakeEnv: { FAKE_BOOT_DELAY_MS: '60000' } })
    const starting = next(supervisor, 'starting')
    const outcome = supervisor.start().then(
      () => 'ready',
      (error: Error) => error.message,
    )
    const { pid } = await starting
    await supervisor.stop()
    expect(await outcome).toMatch(/stopped/)
    expect(isAlive(pid)).toBe(false)
  })

  it('reports a command that cannot be spawned as a fatal error event instead of crashing', async () => {
    const { supervisor } = await makeSupervisor({ command: '/nonexistent/python3' })
    const error = next(supervisor, 'error')
    await expect(supervisor.start()).rejects.toThrow(/could not start ComfyUI: .*ENOENT.*\/nonexistent\/python3/)
    expect(await error).toMatchObject({ fatal: true })
    expect(supervisor.state).toBe('failed')
  })

  it('gives up after too many consecutive crashes during boot', async () => {
    const { supervisor, records } = await makeSupervisor({
      maxConsecutiveFailures: 2,
      fakeEnv: { FAKE_EXIT_CODE_AT_BOOT: '1' },
    })
    const attempts: number[] = []
    supervisor.on('restarting', ({ attempt }) => attempts.push(attempt))
    await expect(supervisor.start()).rejects.toThrow(/failed 2 times in a row \(last: exited with code 1\)/)
    expect(attempts).toEqual([1, 2])
    expect(supervisor.state).toBe('failed')
    expect(records).toContainEqual(
      expect.objectContaining({ source: 'comfyui', stream: 'stderr', msg: expect.stringContaining('No module named') }),
    )
  })
})

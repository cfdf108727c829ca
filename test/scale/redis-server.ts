import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { createConnection } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from '../contract/server-target.js'
import { requireCommand } from '../prerequisites.js'

/** Options of {@link startRedis}. */
export interface StartRedisOptions {
  /** Append-only file with `appendfsync always`, so that a restart keeps every accepted job. @default false */
  appendOnly?: boolean
  /** Port to listen on. @default a free one */
  port?: number
  /** Data directory. @default a new temporary one, removed by `stop` */
  dir?: string
}

/** A `redis-server` child process on loopback. */
export interface RunningRedis {
  /** `redis://127.0.0.1:<port>`. */
  url: string
  port: number
  /** Its data directory (the AOF lives there). */
  dir: string
  /** SIGKILLs it (no final save): what a crash does. */
  kill(): Promise<void>
  /** Starts it again on the same port and directory (after {@link kill}). */
  restart(): Promise<void>
  /** Stops it and removes its directory when it made one. */
  stop(): Promise<void>
}

const REDIS_SERVER = process.env['REDIS_SERVER'] ?? 'redis-server'

const accepts = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' })
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })

/**
 * Starts Debian's `redis-server` (or `$REDIS_SERVER`) on a free loopback port in a temporary directory, without
 * RDB snapshots; with `appendOnly` it writes an AOF that survives {@link RunningRedis.kill}.
 * @example
 * const redis = await startRedis()
 * afterAll(() => redis.stop())
 */
export async function startRedis(options: StartRedisOptions = {}): Promise<RunningRedis> {
  requireCommand(REDIS_SERVER, 'the Redis queue tests', 'apt-get install redis-server (or set REDIS_SERVER)')
  const port = options.port ?? (await freePort())
  const ownDir = options.dir === undefined
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'genimage-redis-')))
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '']
  args.push(...(options.appendOnly ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']))
  let child: ChildProcess | undefined
  let output = ''
  const launch = async (): Promise<void> => {
    const started = spawn(REDIS_SERVER, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    child = started
    started.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()))
    started.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()))
    const deadline = Date.now() + 10_000
    while (!(await accepts(port))) {
      if (started.exitCode !== null) throw new Error(`redis-server exited (${started.exitCode}):\n${output}`)
      if (Date.now() > deadline) throw new Error(`redis-server did not listen on ${port}:\n${output}`)
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  }
  const kill = async (): Promise<void> => {
    const running = child
    if (!running || running.exitCode !== null || running.signalCode !== null) return
    const exited = new Promise((resolve) => running.once('exit', resolve))
    running.kill('SIGKILL')
    await exited
  }
  await launch()
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    kill,
    restart: launch,
    async stop() {
      await kill()
      if (ownDir) await rm(dir, { recursive: true, force: true })
    },
  }
}

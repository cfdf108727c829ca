import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort, REPO_ROOT } from '../contract/server-target.js'
import { type Spawned, spawnCollecting } from '../server/processes.js'
import { type RunningRedis, startRedis } from './redis-server.js'

/** The built `genimage-server` (run `npx turbo run build --filter=@genimage/server...` first). */
const SERVER_BIN = join(REPO_ROOT, 'packages/server/bin/genimage-server.js')

/** One `genimage-server` process of a topology. */
export interface NodeProcess {
  /** `api` or `worker`. */
  role: 'api' | 'worker'
  /** Its HTTP URL: the API, or a worker's health and metrics. */
  url: string
  process: Spawned
  /** SIGKILL: what a crash or an OOM kill does. */
  kill(): Promise<void>
  /** SIGTERM, resolving with the exit code once it exited. */
  terminate(): Promise<number | string>
}

/** Options of {@link startTopology}. */
export interface TopologyOptions {
  /** API nodes to start. @default 2 */
  apiNodes?: number
  /** Workers to start. @default 2 */
  workers?: number
  /** Environment of every node (`MAX_QUEUE`, `API_KEYS`, …). */
  env?: Record<string, string>
  /** Environment of the workers only (`SYNTHETIC_STEP_MS`, `JOB_TIMEOUT_MS`, …). */
  workerEnv?: Record<string, string>
  /** Redis with an append-only file (survives a SIGKILL). @default false */
  appendOnly?: boolean
}

/** API nodes and workers of the built server on one Redis and one shared `FILES_DIR`, as separate processes. */
export interface Topology {
  redis: RunningRedis
  filesDir: string
  apis: NodeProcess[]
  workers: NodeProcess[]
  /** Starts one more node with the topology's settings. */
  add(role: 'api' | 'worker', env?: Record<string, string>): Promise<NodeProcess>
  /** Resolves once every API node answers `/ready` with 200 (a worker is ready behind it). */
  ready(): Promise<void>
  /** Stops every node (SIGTERM, then SIGKILL after 10 s), Redis, and removes the files. */
  close(): Promise<void>
}

const urlOf = async (spawned: Spawned): Promise<string> => {
  const line = await spawned.line((text) => text.includes('"url"'), 60_000)
  return (JSON.parse(line) as { url: string }).url
}

/**
 * Starts Redis, then `apiNodes` API nodes and `workers` workers of the built `genimage-server` (synthetic backend),
 * each on a free port, sharing one `FILES_DIR`. Every API node answers with the first one's URL as `PUBLIC_BASE_URL`,
 * as they would behind a load balancer.
 * @example
 * const topology = await startTopology({ apiNodes: 2, workers: 2 })
 * await topology.ready()
 */
export async function startTopology(options: TopologyOptions = {}): Promise<Topology> {
  const redis = await startRedis({ appendOnly: options.appendOnly })
  const filesDir = await mkdtemp(join(tmpdir(), 'genimage-topology-files-'))
  // What a load balancer in front of the API nodes gives: one public URL in every answer, whichever node answered.
  const apiPorts = await Promise.all(Array.from({ length: options.apiNodes ?? 2 }, () => freePort()))
  const publicBaseUrl = `http://127.0.0.1:${apiPorts[0] ?? 0}`
  const apis: NodeProcess[] = []
  const workers: NodeProcess[] = []
  const all: NodeProcess[] = []
  const add = async (role: 'api' | 'worker', env: Record<string, string> = {}): Promise<NodeProcess> => {
    const spawned = spawnCollecting(process.execPath, [SERVER_BIN], {
      ROLE: role,
      REDIS_URL: redis.url,
      FILES_DIR: filesDir,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      SHUTDOWN_GRACE_MS: '5000',
      WORKER_LOCK_MS: '2000',
      ...(role === 'api' ? { PORT: String(apiPorts[apis.length] ?? 0), PUBLIC_BASE_URL: publicBaseUrl } : {}),
      ...options.env,
      ...(role === 'worker' ? options.workerEnv : {}),
      ...env,
    })
    const node: NodeProcess = {
      role,
      url: await urlOf(spawned),
      process: spawned,
      async kill() {
        spawned.kill()
        await spawned.exited
      },
      async terminate() {
        spawned.child.kill('SIGTERM')
        return spawned.exited
      },
    }
    all.push(node)
    ;(role === 'api' ? apis : workers).push(node)
    return node
  }
  try {
    for (let index = 0; index < (options.workers ?? 2); index += 1) await add('worker')
    for (let index = 0; index < (options.apiNodes ?? 2); index += 1) await add('api')
  } catch (error) {
    for (const node of all) node.process.kill()
    await redis.stop()
    throw error
  }
  return {
    redis,
    filesDir,
    apis,
    workers,
    add,
    async ready() {
      for (const api of apis) {
        const deadline = Date.now() + 60_000
        while (
          (await fetch(`${api.url}/ready`).then(
            (r) => r.status,
            () => 0,
          )) !== 200
        ) {
          if (Date.now() > deadline) throw new Error(`${api.url}/ready never answered 200:\n${api.process.output()}`)
          await new Promise((resolve) => setTimeout(resolve, 50))
        }
      }
    },
    async close() {
      // SIGTERM first, so that a worker's supervisor stops the ComfyUI processes it started: they run in process
      // groups of their own and outlive a SIGKILLed parent. What has not exited after 10 s is SIGKILLed.
      await Promise.all(
        all.map(async (node) => {
          const late = setTimeout(() => node.process.kill(), 10_000)
          await node.terminate()
          clearTimeout(late)
        }),
      )
      await redis.stop()
      await rm(filesDir, { recursive: true, force: true })
    },
  }
}

/**
 * A fetch that sends each request to the next API node in turn, whichever node's URL it names: proves any API
 * node answers for any job.
 * @example const fetchAny = roundRobinFetch(topology.apis.map((node) => node.url))
 */
export function roundRobinFetch(urls: readonly string[]): typeof fetch {
  let next = 0
  return (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input))
    const target = new URL(urls[next++ % urls.length]!)
    if (urls.some((candidate) => new URL(candidate).origin === url.origin)) {
      url.protocol = target.protocol
      url.host = target.host
    }
    return fetch(url, input instanceof Request ? input : init)
  }
}

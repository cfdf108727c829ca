import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { fakeComfyCommand } from '@genimage/fake-comfyui'
import { createGenimageServer, type GenimageServer, loadConfig, type ServerConfig } from '@genimage/server'
import type { Logger } from 'pino'
import type { ContractTarget, TargetOptions } from './target.js'

/** The repository root. */
export const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)))

/** A free TCP port on loopback (for ComfyUI, whose port the supervisor must know before it starts). */
export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
  const address = server.address()
  await new Promise<void>((done) => server.close(() => done()))
  if (typeof address !== 'object' || !address) throw new Error('no port')
  return address.port
}

const shellQuote = (word: string): string => `'${word.replaceAll("'", `'\\''`)}'`

/**
 * A temporary ComfyUI directory whose `main.py` is a shell script that execs the fake ComfyUI with the flags it is
 * given. With `COMFYUI_PYTHON=sh` the supervisor runs `sh main.py --listen … --port … <COMFYUI_ARGS>` exactly as it
 * runs `python3 main.py …`: same argv, same process (exec keeps the pid), same process group, same signals.
 */
export async function fakeComfyDir(): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'genimage-fake-comfyui-'))
  const { command, args } = fakeComfyCommand()
  // From sources the command preloads `tsx`, which node resolves from the working directory: run it from the repo.
  const script = [
    '# Not Python: the fake ComfyUI, started by the genimage supervisor in place of ComfyUI (COMFYUI_PYTHON=sh).',
    `cd ${shellQuote(REPO_ROOT)} && exec ${[command, ...args].map(shellQuote).join(' ')} "$@"`,
    '',
  ].join('\n')
  await writeFile(join(dir, 'main.py'), script)
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) }
}

/** What {@link startServer} needs. */
export interface StartServerOptions {
  /** `fake-comfyui`: a supervised fake ComfyUI child process; `synthetic`: no ComfyUI. */
  backend: 'fake-comfyui' | 'synthetic'
  /** Environment settings, as an operator would give them (`MAX_QUEUE`, `API_KEYS`, `COMFYUI_ARGS`…). */
  env?: Record<string, string>
  /** Values set on the parsed config, for limits below what the option table allows (e.g. a 150 ms job timeout). */
  override?: Partial<ServerConfig>
  /** The server's logger. @default one at `GENIMAGE_TEST_LOG_LEVEL`, silent when unset */
  logger?: Logger
}

/** A server listening on a free port, with the fake ComfyUI it supervises. */
export interface StartedServer {
  url: string
  server: GenimageServer
  config: ServerConfig
  /** The fake ComfyUI's URL (its `/fake/*` control routes turn knobs and inject faults at run time). */
  comfyUrl: string | undefined
  /** The temporary COMFYUI_DIR. */
  comfyDir: string | undefined
  close(): Promise<void>
}

/**
 * Builds a server from configuration, the way `genimage-server` does, listening on a free port, and waits until its
 * backend is ready.
 */
export async function startServer(options: StartServerOptions): Promise<StartedServer> {
  const comfy = options.backend === 'fake-comfyui' ? await fakeComfyDir() : undefined
  const comfyPort = comfy ? await freePort() : undefined
  const env: Record<string, string> = {
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: process.env['GENIMAGE_TEST_LOG_LEVEL'] ?? 'silent',
    SHUTDOWN_GRACE_MS: '5000',
    ...(comfy
      ? {
          COMFYUI_DIR: comfy.dir,
          COMFYUI_PYTHON: 'sh',
          LAZY_IMPORTS: 'false', // main.py is the fake's shell script: no Python launcher
          COMFYUI_PORT: String(comfyPort),
          SKIP_WEIGHTS_DOWNLOAD: 'true',
        }
      : {}),
    ...options.env,
  }
  const request = loadConfig([], env)
  if (request.action !== 'run') throw new Error(`unexpected ${request.action}`)
  const config: ServerConfig = { ...request.config, ...options.override }
  const server = options.logger ? createGenimageServer(config, options.logger) : createGenimageServer(config)
  let url: string
  try {
    url = await server.listen()
    await server.ready
  } catch (error) {
    await server.close().catch(() => {})
    await comfy?.remove()
    throw error
  }
  return {
    url,
    server,
    config,
    comfyUrl: comfyPort ? `http://127.0.0.1:${comfyPort}` : undefined,
    comfyDir: comfy?.dir,
    async close() {
      await server.close()
      await comfy?.remove()
    },
  }
}

/**
 * The operator settings every server target gives for a contract group's {@link TargetOptions}: `MAX_QUEUE`,
 * `API_KEYS`, `WEBHOOK_SECRETS` and `WEBHOOK_ALLOWED_HOSTS` (each node of a topology gets them).
 * @example startServer({ backend: 'synthetic', env: groupSettings({ apiKeys: ['k'] }) })
 */
export function groupSettings(options: TargetOptions): Record<string, string> {
  const env: Record<string, string> = {}
  if (options.maxQueueSize !== undefined) env['MAX_QUEUE'] = String(options.maxQueueSize)
  if (options.apiKeys) env['API_KEYS'] = options.apiKeys.join(',')
  if (options.webhooks) {
    env['WEBHOOK_SECRETS'] = options.webhooks.secret
    env['WEBHOOK_ALLOWED_HOSTS'] = options.webhooks.allowedHosts.join(',')
  }
  return env
}

/** Settings that make a contract group's {@link TargetOptions} true of the server. */
const serverSettings = (
  backend: StartServerOptions['backend'],
  options: TargetOptions,
): Pick<StartServerOptions, 'env' | 'override'> => {
  const env = groupSettings(options)
  // 150 ms per sampling step: a 1024² 4-step generation takes at least 0.6 s.
  const stepMs = options.slow ? 150 : 0
  if (backend === 'fake-comfyui') env['COMFYUI_ARGS'] = `--step-ms ${stepMs}`
  else env['SYNTHETIC_STEP_MS'] = String(stepMs)
  // JOB_TIMEOUT_MS starts at 1 s; the contract's timeout group wants less.
  const override = options.jobTimeoutMs !== undefined ? { jobTimeoutMs: options.jobTimeoutMs } : undefined
  return { env, override }
}

/** The genimage server as a contract target, backed by a supervised fake ComfyUI or the synthetic backend. */
export function serverTarget(name: string, backend: StartServerOptions['backend']): ContractTarget {
  return {
    name,
    async start(options) {
      const started = await startServer({ backend, ...serverSettings(backend, options) })
      return { baseUrl: started.url, fetch: globalThis.fetch, close: () => started.close() }
    },
  }
}

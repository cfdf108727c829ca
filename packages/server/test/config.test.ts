import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest'
import {
  ConfigError,
  configFromCli,
  flagOf,
  loadConfig,
  OPTIONS,
  renderOptionsMarkdown,
  type ServerConfig,
  serverVersion,
  shellWords,
} from '../src/config/index.js'

let root: string
let comfyDir: string

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'genimage-config-'))
  comfyDir = join(root, 'ComfyUI')
  await mkdir(comfyDir)
  await writeFile(join(comfyDir, 'main.py'), '')
  await mkdir(join(root, 'not-comfy'))
})

afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})

function run(argv: string[], env: Record<string, string> = {}): ServerConfig {
  const request = loadConfig(argv, env, { cwd: root })
  if (request.action !== 'run') throw new Error(`expected a config, got ${request.action}`)
  return request.config
}

function failure(argv: string[], env: Record<string, string> = {}): ConfigError {
  try {
    loadConfig(argv, env, { cwd: root })
  } catch (error) {
    if (error instanceof ConfigError) return error
    throw error
  }
  throw new Error('expected a ConfigError')
}

describe('loadConfig: defaults and sources', () => {
  it('has working defaults: synthetic backend, local storage in memory, no auth', () => {
    const config = run([])
    expect(config).toMatchObject({
      port: 8787,
      host: '127.0.0.1',
      backend: 'synthetic',
      comfyuiDir: undefined,
      comfyuiPython: 'python3',
      comfyuiPort: 8188,
      comfyuiArgs: [],
      storage: 'local',
      filesDir: undefined,
      apiKeys: [],
      maxQueue: 64,
      jobTimeoutMs: 60_000,
      maxBodyBytes: 65_536,
      logLevel: 'info',
      shutdownGraceMs: 30_000,
      skipWeightsDownload: false,
      modelsDir: undefined,
      s3: undefined,
    })
  })

  it('has documented limits and retention defaults', () => {
    expect(run([])).toMatchObject({
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      keepAliveTimeoutMs: 5000,
      maxConnections: 10_000,
      metricsPublic: false,
      allowedHosts: ['localhost', '127.0.0.1', '[::1]'],
      filesRetentionS: 86_400,
      filesMaxBytes: 1024 * 1024 * 1024,
      jobRetentionS: 3600,
      maxRetainedJobs: 10_000,
      resultCacheBytes: 256 * 1024 * 1024,
      idempotencyTtlS: 86_400,
      maxIdempotencyKeys: 10_000,
    })
  })

  it('types every key from the option table', () => {
    expectTypeOf<ServerConfig['port']>().toEqualTypeOf<number>()
    expectTypeOf<ServerConfig['comfyuiDir']>().toEqualTypeOf<string | undefined>()
    expectTypeOf<ServerConfig['storage']>().toEqualTypeOf<'local' | 's3'>()
    expectTypeOf<ServerConfig['comfyuiArgs']>().toEqualTypeOf<string[]>()
    expectTypeOf<ServerConfig['skipWeightsDownload']>().toEqualTypeOf<boolean>()
  })

  it('reads the environment, and flags win over it', () => {
    const env = { PORT: '9000', HOST: '127.0.0.1', MAX_QUEUE: '5', API_KEYS: 'a, b,,c' }
    expect(run([], env)).toMatchObject({ port: 9000, host: '127.0.0.1', maxQueue: 5, apiKeys: ['a', 'b', 'c'] })
    expect(run(['--port', '9001', '--max-queue=7'], env)).toMatchObject({ port: 9001, maxQueue: 7 })
  })

  it('treats empty environment variables as unset', () => {
    expect(run([], { PORT: '', COMFYUI_DIR: '' })).toMatchObject({ port: 8787, backend: 'synthetic' })
  })

  it('selects the ComfyUI backend and derives the models directory', () => {
    const config = run(['--comfyui-dir', 'ComfyUI', '--comfyui-args', '--highvram --output-directory "/out dir"'])
    expect(config.backend).toBe('comfyui')
    expect(config.comfyuiDir).toBe(comfyDir)
    expect(config.modelsDir).toBe(join(comfyDir, 'models'))
    expect(config.comfyuiArgs).toEqual(['--highvram', '--output-directory', '/out dir'])
    expect(run([], { COMFYUI_DIR: comfyDir, MODELS_DIR: '/data/models' }).modelsDir).toBe('/data/models')
  })

  it('parses switches with and without values', () => {
    expect(run(['--skip-weights-download']).skipWeightsDownload).toBe(true)
    expect(run(['--skip-weights-download=false'], { SKIP_WEIGHTS_DOWNLOAD: '1' }).skipWeightsDownload).toBe(false)
    expect(run([], { SKIP_WEIGHTS_DOWNLOAD: 'yes' }).skipWeightsDownload).toBe(true)
  })

  it('builds S3 settings when STORAGE=s3 has what it needs', () => {
    const config = run([], {
      STORAGE: 's3',
      S3_BUCKET: 'images',
      S3_ACCESS_KEY_ID: 'id',
      S3_SECRET_ACCESS_KEY: 'secret',
      S3_ENDPOINT: 'http://minio:9000/',
      S3_PREFIX: 'gen/',
    })
    expect(config.s3).toEqual({
      endpoint: 'http://minio:9000',
      region: 'us-east-1',
      bucket: 'images',
      accessKeyId: 'id',
      secretAccessKey: 'secret',
      sessionToken: undefined,
      prefix: 'gen/',
      publicBaseUrl: undefined,
      forcePathStyle: undefined,
    })
  })
})

describe('loadConfig: bad input', () => {
  it.each([
    [['--port', 'abc'], {}, '--port', 'invalid --port "abc": expected an integer from 0 to 65535'],
    [['--port', '70000'], {}, '--port', 'invalid --port "70000": expected an integer from 0 to 65535'],
    [['--port=-1'], {}, '--port', 'invalid --port "-1": expected an integer from 0 to 65535'],
    [[], { PORT: '80.5' }, '--port', 'invalid PORT (environment) "80.5": expected an integer from 0 to 65535'],
    [[], { COMFYUI_PORT: '-1' }, '--comfyui-port', 'invalid COMFYUI_PORT (environment) "-1"'],
    [[], { STORAGE: 'gcs' }, '--storage', 'invalid STORAGE (environment) "gcs": expected one of local, s3'],
    [['--log-level', 'loud'], {}, '--log-level', 'expected one of fatal, error'],
    [['--public-base-url', 'ftp://x'], {}, '--public-base-url', 'expected an absolute http(s) URL'],
    [['--skip-weights-download=maybe'], {}, '--skip-weights-download', 'expected true or false'],
    [['--comfyui-args', '--x "open'], {}, '--comfyui-args', 'unterminated " quote'],
  ] as const)('rejects %j %j naming %s', (argv, env, option, message) => {
    const error = failure([...argv], { ...env })
    expect(error.option).toBe(option)
    expect(error.exitCode).toBe(2)
    expect(error.message).toContain(message)
  })

  it('rejects a headers timeout longer than the request timeout, naming both settings', () => {
    const error = failure([], { HEADERS_TIMEOUT_MS: '20000', REQUEST_TIMEOUT_MS: '15000' })
    expect(error.message).toMatch(/HEADERS_TIMEOUT_MS \(20000\) must not exceed REQUEST_TIMEOUT_MS \(15000\)/)
    expect(error.option).toBe('--headers-timeout-ms')
  })

  it('rejects a result budget under 1 MiB and a negative file budget', () => {
    expect(failure([], { RESULT_CACHE_BYTES: '1000' }).message).toMatch(/RESULT_CACHE_BYTES.*from 1048576/)
    expect(failure(['--files-max-bytes', '-1']).message).toMatch(/--files-max-bytes "-1"/)
  })

  it('rejects a COMFYUI_DIR that does not exist', () => {
    const error = failure(['--comfyui-dir', '/nonexistent/ComfyUI'])
    expect(error.message).toBe('invalid --comfyui-dir "/nonexistent/ComfyUI": directory does not exist')
  })

  it('rejects a COMFYUI_DIR without main.py', () => {
    const error = failure([], { COMFYUI_DIR: join(root, 'not-comfy') })
    expect(error.option).toBe('--comfyui-dir')
    expect(error.message).toContain('has no main.py (is it a ComfyUI checkout?)')
  })

  it('rejects unknown flags, suggesting the nearest one', () => {
    expect(failure(['--prot', '1']).message).toBe('unknown option --prot (did you mean --port?) (see --help)')
    expect(failure(['--frobnicate']).message).toBe('unknown option --frobnicate (see --help)')
    expect(failure(['serve']).message).toBe('unexpected argument "serve" (see --help)')
    expect(failure(['--port']).message).toBe('option --port needs a value <int>')
    expect(failure(['-x']).message).toBe('unknown option -x (see --help)')
    expect(failure(['--port', '1', '--', 'x']).message).toBe('unexpected argument "--" (see --help)')
  })

  it('answers --help and -v even beside a bad flag', () => {
    expect(loadConfig(['--frobnicate', '--help'], {}).action).toBe('help')
    expect(loadConfig(['--port=x', '-v'], {}).action).toBe('version')
  })

  it('needs a bucket with STORAGE=s3, and both halves of a static key or neither (the AWS credential chain)', () => {
    expect(failure(['--storage', 's3'], {}).message).toBe('STORAGE=s3 needs S3_BUCKET (--s3-bucket)')
    const half = failure(['--storage', 's3'], { S3_BUCKET: 'b', S3_ACCESS_KEY_ID: 'id' })
    expect(half.message).toBe(
      'S3_ACCESS_KEY_ID needs S3_SECRET_ACCESS_KEY (--s3-secret-access-key); set neither to use the AWS credential chain',
    )
    expect(half.option).toBe('--s3-secret-access-key')
    expect(failure(['--storage', 's3'], { S3_BUCKET: 'b', S3_SECRET_ACCESS_KEY: 's' }).option).toBe(
      '--s3-access-key-id',
    )
    expect(run(['--storage', 's3'], { S3_BUCKET: 'b' }).s3).toMatchObject({
      bucket: 'b',
      accessKeyId: undefined,
      secretAccessKey: undefined,
    })
  })

  it('never echoes secrets in errors', () => {
    const error = failure(['--api-keys', 'k'], {
      STORAGE: 's3',
      S3_BUCKET: 'b',
      S3_ACCESS_KEY_ID: 'i',
      S3_SECRET_ACCESS_KEY: ' ',
    })
    expect(error.message).toBe('invalid S3_SECRET_ACCESS_KEY (environment) <hidden>: expected a non-empty value')
  })
})

describe('help, version and the CLI wrapper', () => {
  it('prints a usage table with every option, its env variable and default', () => {
    const request = loadConfig(['--port', 'nonsense', '--help'], {})
    expect(request.action).toBe('help')
    const text = request.action === 'help' ? request.text : ''
    for (const option of OPTIONS) {
      const line = text
        .split('\n')
        .find((l) => l.trimStart().startsWith(`${flagOf(option.env)} `) || l.trim().startsWith(`${flagOf(option.env)}`))
      expect(line, option.env).toBeDefined()
      expect(line).toContain(option.env)
      expect(line).toContain(option.description)
    }
    expect(text).toMatch(/--port <int>\s+PORT\s+8787\s+Port the API listens on \(0: any free port\)\./)
  })

  it('prints the package version', () => {
    expect(loadConfig(['--version'], {})).toEqual({ action: 'version', text: `genimage-server ${serverVersion()}` })
    expect(serverVersion()).toMatch(/^\d+\.\d+\.\d+/)
  })

  it('returns exit code 2 and writes the reason to stderr on bad input', () => {
    const out: string[] = []
    const err: string[] = []
    const io = { stdout: { write: (t: string) => out.push(t) }, stderr: { write: (t: string) => err.push(t) } }
    expect(configFromCli(['--port', 'x'], {}, io)).toBe(2)
    expect(err.join('')).toBe('genimage-server: invalid --port "x": expected an integer from 0 to 65535\n')
    expect(out).toEqual([])
    expect(configFromCli(['-h'], {}, io)).toBe(0)
    expect(out.join('')).toContain('Usage: genimage-server [options]')
    expect(configFromCli([], { PORT: '1234' }, io)).toMatchObject({ port: 1234 })
  })

  it('keeps the table in docs/deploy.md in sync with the options', async () => {
    const doc = await readFile(fileURLToPath(new URL('../../../docs/deploy.md', import.meta.url)), 'utf8')
    const block = /<!-- options:start -->\n([\s\S]*?)\n<!-- options:end -->/.exec(doc)?.[1] ?? ''
    // Compare cells, not padding: the formatter aligns Markdown tables.
    const cells = (table: string) =>
      table.split('\n').map((row) =>
        row
          .split(/(?<!\\)\|/)
          .slice(1, -1)
          .map((cell) => cell.trim().replace(/^-+$/, '---')),
      )
    expect(cells(block), `docs/deploy.md must hold, between the options markers:\n${renderOptionsMarkdown()}`).toEqual(
      cells(renderOptionsMarkdown()),
    )
  })
})

describe('shellWords', () => {
  it('splits like a shell, honouring quotes and escapes', () => {
    expect(shellWords(`a 'b c' "d \\"e\\"" f\\ g  `)).toEqual(['a', 'b c', 'd "e"', 'f g'])
    expect(shellWords(`--x=''`)).toEqual(['--x='])
    expect(shellWords('')).toEqual([])
  })
})

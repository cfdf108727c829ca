import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { ConfigError } from './errors.js'
import { type AnyOption, flagOf, keyOf, OPTIONS, type OptionValues } from './options.js'
import { renderUsage } from './usage.js'
import { serverVersion } from './version.js'

/** Settings of the S3 store, present when `STORAGE=s3`. */
export interface S3Settings {
  endpoint: string | undefined
  region: string
  bucket: string
  /** Static key; undefined (with `secretAccessKey`): the AWS credential chain. */
  accessKeyId: string | undefined
  secretAccessKey: string | undefined
  sessionToken: string | undefined
  prefix: string | undefined
  publicBaseUrl: string | undefined
  forcePathStyle: boolean | undefined
}

/** The validated configuration of the server: every option of the table, plus what follows from them. */
export type ServerConfig = OptionValues & {
  /** `comfyui` when `COMFYUI_DIR` or `COMFYUI_URL` is set, else `synthetic`. */
  backend: 'comfyui' | 'synthetic'
  /** `MODELS_DIR`, or `<COMFYUI_DIR>/models`; undefined with the synthetic backend and no `MODELS_DIR`. */
  modelsDir: string | undefined
  /** S3 settings when `STORAGE=s3`. */
  s3: S3Settings | undefined
}

/** What the command line asks for. */
export type CliRequest =
  | { action: 'run'; config: ServerConfig }
  | { action: 'help'; text: string }
  | { action: 'version'; text: string }

/** Options of {@link loadConfig}. */
export interface LoadConfigContext {
  /** Directory relative paths are resolved against. @default process.cwd() */
  cwd?: string
  /** Printed by `--version`. @default the package version */
  version?: string
  /** Program name in `--help`. @default 'genimage-server' */
  program?: string
}

const byFlag = new Map<string, AnyOption>(OPTIONS.map((option) => [flagOf(option.env), option]))

/** parseArgs' view of the option table: a switch is a boolean (`--flag`, `--flag=false`), every other option a string. */
const argSpec = {
  ...Object.fromEntries(
    OPTIONS.map(
      (option) => [flagOf(option.env).slice(2), { type: option.type.switch ? 'boolean' : 'string' }] as const,
    ),
  ),
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const

/**
 * Reads the configuration from the command line and the environment (flags win), validating every value.
 * `--help`/`-h` and `--version`/`-v` return the text to print. Throws {@link ConfigError} (exit code 2) naming the
 * option and the bad value for anything invalid, before anything is started.
 * @example
 * const request = loadConfig(process.argv.slice(2), process.env)
 * if (request.action === 'run') await startServer(request.config)
 */
export function loadConfig(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  context: LoadConfigContext = {},
): CliRequest {
  const program = context.program ?? 'genimage-server'
  const { help, version, fromFlags } = parseArgv(argv)
  if (help) return { action: 'help', text: renderUsage(program) }
  if (version) return { action: 'version', text: `${program} ${context.version ?? serverVersion()}` }

  const cwd = context.cwd ?? process.cwd()
  const values: Record<string, unknown> = {}
  for (const option of OPTIONS) {
    const flag = flagOf(option.env)
    const fromFlag = fromFlags.get(flag)
    const fromEnv = env[option.env]
    const raw = fromFlag ?? (fromEnv === undefined || fromEnv === '' ? undefined : fromEnv)
    if (raw === undefined) {
      values[keyOf(option.env)] = option.default
      continue
    }
    try {
      values[keyOf(option.env)] = (option.type.parse as (raw: string, c: { cwd: string }) => unknown)(raw, { cwd })
    } catch (error) {
      const shown = 'secret' in option && option.secret ? '<hidden>' : JSON.stringify(raw)
      const where = fromFlag !== undefined ? flag : `${option.env} (environment)`
      throw new ConfigError(`invalid ${where} ${shown}: ${(error as Error).message}`, flag, raw)
    }
  }
  return { action: 'run', config: derive(values as OptionValues) }
}

/**
 * Reads `--flag value`, `--flag=value` and switches with `node:util.parseArgs`; `--help`/`-h` and `--version`/`-v`
 * win over everything else. Throws on unknown flags (suggesting the nearest), missing values and stray words.
 */
function parseArgv(argv: readonly string[]): { help: boolean; version: boolean; fromFlags: Map<string, string> } {
  const { tokens } = parseArgs({
    args: [...argv],
    options: argSpec,
    strict: false,
    allowPositionals: true,
    tokens: true,
  })
  const asked = (name: string) => tokens.some((token) => token.kind === 'option' && token.name === name)
  const fromFlags = new Map<string, string>()
  if (asked('help') || asked('version')) return { help: asked('help'), version: asked('version'), fromFlags }
  for (const token of tokens) {
    if (token.kind !== 'option') {
      const arg = argv[token.index]!
      throw new ConfigError(`unexpected argument ${JSON.stringify(arg)} (see --help)`, undefined, arg)
    }
    const flag = token.rawName
    const option = byFlag.get(flag)
    if (!option) {
      const hint = closest(flag)
      throw new ConfigError(`unknown option ${flag}${hint ? ` (did you mean ${hint}?)` : ''} (see --help)`, flag)
    }
    if (token.value !== undefined) fromFlags.set(flag, token.value)
    else if (option.type.switch) fromFlags.set(flag, 'true')
    else throw new ConfigError(`option ${flag} needs a value ${option.type.placeholder ?? ''}`.trim(), flag)
  }
  return { help: false, version: false, fromFlags }
}

function derive(values: OptionValues): ServerConfig {
  if (values.comfyuiDir && values.comfyuiUrl) {
    throw new ConfigError(
      'set COMFYUI_DIR (start ComfyUI) or COMFYUI_URL (use a running one), not both',
      '--comfyui-url',
    )
  }
  if (values.headersTimeoutMs > values.requestTimeoutMs) {
    throw new ConfigError(
      `HEADERS_TIMEOUT_MS (${values.headersTimeoutMs}) must not exceed REQUEST_TIMEOUT_MS (${values.requestTimeoutMs}): the headers are part of the request`,
      '--headers-timeout-ms',
      String(values.headersTimeoutMs),
    )
  }
  const backend = values.comfyuiDir || values.comfyuiUrl ? 'comfyui' : 'synthetic'
  const modelsDir = values.modelsDir ?? (values.comfyuiDir ? join(values.comfyuiDir, 'models') : undefined)
  let s3: S3Settings | undefined
  if (values.storage === 's3') {
    if (values.s3Bucket === undefined) {
      throw new ConfigError(`STORAGE=s3 needs S3_BUCKET (${flagOf('S3_BUCKET')})`, flagOf('S3_BUCKET'))
    }
    const keys = (['S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY'] as const).filter(
      (env) => values[keyOf(env)] !== undefined,
    )
    if (keys.length === 1) {
      const missing = keys[0] === 'S3_ACCESS_KEY_ID' ? 'S3_SECRET_ACCESS_KEY' : 'S3_ACCESS_KEY_ID'
      throw new ConfigError(
        `${keys[0]} needs ${missing} (${flagOf(missing)}); set neither to use the AWS credential chain`,
        flagOf(missing),
      )
    }
    if (values.s3Prefix !== undefined && !/^([A-Za-z0-9_.-]+\/)+$/.test(values.s3Prefix)) {
      throw new ConfigError(
        `invalid S3_PREFIX ${JSON.stringify(values.s3Prefix)}: expected path segments ending in /, e.g. images/`,
        '--s3-prefix',
        values.s3Prefix,
      )
    }
    s3 = {
      endpoint: values.s3Endpoint,
      region: values.s3Region,
      bucket: values.s3Bucket,
      accessKeyId: values.s3AccessKeyId,
      secretAccessKey: values.s3SecretAccessKey,
      sessionToken: values.s3SessionToken,
      prefix: values.s3Prefix,
      publicBaseUrl: values.s3PublicBaseUrl,
      forcePathStyle: values.s3ForcePathStyle,
    }
  }
  return { ...values, backend, modelsDir, s3 }
}

/** The known flag nearest to a misspelt one (edit distance ≤ 2). */
function closest(flag: string): string | undefined {
  let best: string | undefined
  let bestDistance = 3
  for (const known of byFlag.keys()) {
    const distance = editDistance(flag, known)
    if (distance < bestDistance) {
      best = known
      bestDistance = distance
    }
  }
  return best
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    previous = current
  }
  return previous[b.length]!
}

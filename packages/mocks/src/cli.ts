import { parseArgs } from 'node:util'
import { startMockHttpServer } from './http-server.js'

/** One option of the command line: its flag, help line, default and how a raw value becomes a setting. */
interface Flag<T> {
  placeholder?: string
  description: string
  fallback: T
  /** Shown as the default when it is not `String(fallback)`. */
  shown?: string
  /** Environment variable read when the flag is absent. */
  env?: string
  /** The flag may repeat; each value is read on its own. */
  multiple?: boolean
  read(raw: string, flag: string): T extends readonly (infer E)[] ? E : T
}

const fail = (message: string): never => {
  process.stderr.write(`genimage-mock: ${message}\n\n${usage()}`)
  process.exit(2)
}

const integer =
  (min: number, max: number) =>
  (raw: string, flag: string): number => {
    const parsed = Number(raw)
    if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
      fail(`${flag} must be an integer from ${min} to ${max} (got '${raw}')`)
    }
    return parsed
  }

const FLAGS = {
  port: {
    placeholder: '<n>',
    description: 'Port to listen on (0 = any free port)',
    fallback: 8787,
    env: 'PORT',
    read: integer(0, 65535),
  } satisfies Flag<number>,
  host: {
    placeholder: '<addr>',
    description: 'Interface to bind',
    fallback: '127.0.0.1',
    read: (raw: string) => raw,
  } satisfies Flag<string>,
  mode: {
    placeholder: '<auto|manual>',
    description:
      'manual: each sampling step waits for POST /__mock/step; GET /__mock/held lists the held jobs, POST /__mock/finish runs them',
    fallback: 'auto' as 'auto' | 'manual',
    read: (raw: string, flag: string) =>
      raw === 'auto' || raw === 'manual' ? raw : fail(`${flag} must be auto or manual (got '${raw}')`),
  } satisfies Flag<'auto' | 'manual'>,
  'job-timeout-ms': {
    placeholder: '<n>',
    description: 'Longest a generation may run before 504, ms',
    fallback: 60_000,
    read: integer(1, 86_400_000),
  } satisfies Flag<number>,
  'step-ms': {
    placeholder: '<n>',
    description: 'Simulated time per sampling step, ms',
    fallback: 0,
    read: integer(0, 600_000),
  } satisfies Flag<number>,
  'overhead-ms': {
    placeholder: '<n>',
    description: 'Simulated fixed time per image, ms',
    fallback: 0,
    read: integer(0, 600_000),
  } satisfies Flag<number>,
  'first-look-ms': {
    placeholder: '<n>',
    description: 'Auto mode: longest a job waits before its first step for its caller to read its status',
    fallback: 500,
    read: integer(0, 600_000),
  } satisfies Flag<number>,
  'max-queue': {
    placeholder: '<n>',
    description: 'Jobs allowed to wait before 429',
    fallback: 64,
    read: integer(1, 100_000),
  } satisfies Flag<number>,
  'api-key': {
    placeholder: '<key>',
    description: 'Require this key (repeatable)',
    fallback: [] as string[],
    shown: 'none',
    multiple: true,
    read: (raw: string) => raw,
  } satisfies Flag<string[]>,
}

type Settings = { [K in keyof typeof FLAGS]: (typeof FLAGS)[K]['fallback'] }

function usage(): string {
  const rows: [string, string][] = Object.entries(FLAGS).map(([name, flag]: [string, Flag<unknown>]) => {
    const shown = flag.shown ?? String(flag.fallback)
    const env = flag.env ? `, env ${flag.env}` : ''
    return [`--${name} ${flag.placeholder ?? ''}`.trim(), `${flag.description} [default: ${shown}${env}]`]
  })
  rows.push(['-h, --help', 'Show this help'])
  const width = Math.max(...rows.map(([left]) => left.length)) + 2
  return `Usage: genimage-mock [options]

Serves a mocked genimage API (real images, real validation, real queue) over HTTP, no GPU needed.

Options:
${rows.map(([left, right]) => `  ${left.padEnd(width)}${right}`).join('\n')}
`
}

function readSettings(argv: string[]): Settings | 'help' {
  const options = Object.fromEntries(
    Object.entries(FLAGS).map(([name, flag]: [string, Flag<unknown>]) => [
      name,
      { type: 'string' as const, multiple: flag.multiple ?? false },
    ]),
  )
  let values: Record<string, string | string[] | boolean | undefined>
  try {
    ;({ values } = parseArgs({
      args: argv,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      strict: true,
    }))
  } catch (error) {
    return fail((error as Error).message)
  }
  if (values.help) return 'help'
  const settings: Record<string, unknown> = {}
  for (const [name, flag] of Object.entries(FLAGS) as [string, Flag<unknown>][]) {
    const raw = values[name] ?? (flag.env ? process.env[flag.env] : undefined)
    if (raw === undefined) settings[name] = flag.fallback
    else if (Array.isArray(raw)) settings[name] = raw.map((one) => flag.read(one, `--${name}`))
    else settings[name] = flag.read(String(raw), `--${name}`)
  }
  return settings as Settings
}

const settings = readSettings(process.argv.slice(2))
if (settings === 'help') {
  process.stdout.write(usage())
  process.exit(0)
}

const server = await startMockHttpServer({
  mode: settings.mode,
  firstLookMs: settings['first-look-ms'],
  jobTimeoutMs: settings['job-timeout-ms'],
  port: settings.port,
  host: settings.host,
  stepMs: settings['step-ms'],
  overheadMs: settings['overhead-ms'],
  maxQueueSize: settings['max-queue'],
  apiKeys: settings['api-key'],
}).catch((error: NodeJS.ErrnoException) =>
  fail(error.code === 'EADDRINUSE' ? `port is already in use (${error.message})` : error.message),
)
process.stdout.write(`genimage-mock: serving the mocked genimage API at ${server.url}\n`)
const stop = (): void => {
  void server.close().then(() => process.exit(0))
}
process.once('SIGINT', stop)
process.once('SIGTERM', stop)

import { parseArgs } from 'node:util'
import { startMockHttpServer } from './http-server.js'

const usage = `Usage: genimage-mock [options]

Serves a mocked genimage API (real images, real validation, real queue) over HTTP, no GPU needed.

Options:
  --port <n>            Port to listen on (0 = any free port)         [default: 8787, env PORT]
  --host <addr>         Interface to bind                             [default: 127.0.0.1]
  --mode <auto|manual>  manual: each sampling step waits for          [default: auto]
                        POST /__mock/step; GET /__mock/held lists
                        the held jobs, POST /__mock/finish runs them
  --job-timeout-ms <n>  Longest a generation may run before 504, ms   [default: 60000]
  --step-ms <n>         Simulated time per sampling step, ms          [default: 0]
  --overhead-ms <n>     Simulated fixed time per image, ms            [default: 0]
  --first-look-ms <n>   Auto mode: longest a job waits before its     [default: 500]
                        first step for its caller to read its status
  --max-queue <n>       Jobs allowed to wait before 429               [default: 64]
  --api-key <key>       Require this key (repeatable)                 [default: none]
  -h, --help            Show this help
`

const fail = (message: string): never => {
  process.stderr.write(`genimage-mock: ${message}\n\n${usage}`)
  process.exit(2)
}

const integer = (name: string, value: string | undefined, fallback: number, min: number, max: number): number => {
  if (value === undefined) return fallback
  const parsed = Number(value)
  if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
    fail(`--${name} must be an integer from ${min} to ${max} (got '${value}')`)
  }
  return parsed
}

const { values } = (() => {
  try {
    return parseArgs({
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        'step-ms': { type: 'string' },
        'overhead-ms': { type: 'string' },
        mode: { type: 'string' },
        'first-look-ms': { type: 'string' },
        'job-timeout-ms': { type: 'string' },
        'max-queue': { type: 'string' },
        'api-key': { type: 'string', multiple: true },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    })
  } catch (error) {
    return fail((error as Error).message)
  }
})()

if (values.help) {
  process.stdout.write(usage)
  process.exit(0)
}

const mode = values.mode ?? 'auto'
if (mode !== 'auto' && mode !== 'manual') fail(`--mode must be auto or manual (got '${mode}')`)

const server = await startMockHttpServer({
  mode: mode as 'auto' | 'manual',
  firstLookMs: integer('first-look-ms', values['first-look-ms'], 500, 0, 600_000),
  jobTimeoutMs: integer('job-timeout-ms', values['job-timeout-ms'], 60_000, 1, 86_400_000),
  port: integer('port', values.port ?? process.env.PORT, 8787, 0, 65535),
  host: values.host ?? '127.0.0.1',
  stepMs: integer('step-ms', values['step-ms'], 0, 0, 600_000),
  overheadMs: integer('overhead-ms', values['overhead-ms'], 0, 0, 600_000),
  maxQueueSize: integer('max-queue', values['max-queue'], 64, 1, 100_000),
  apiKeys: values['api-key'] ?? [],
}).catch((error: NodeJS.ErrnoException) =>
  fail(error.code === 'EADDRINUSE' ? `port is already in use (${error.message})` : error.message),
)
process.stdout.write(`genimage-mock: serving the mocked genimage API at ${server.url}\n`)
const stop = (): void => {
  void server.close().then(() => process.exit(0))
}
process.once('SIGINT', stop)
process.once('SIGTERM', stop)

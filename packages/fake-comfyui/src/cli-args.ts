/**
 * Command-line parsing of the fake: ComfyUI's own flags are accepted (and mostly ignored) so a supervisor can
 * launch the fake with exactly the argv it gives `python main.py`; knob flags configure the fake.
 * @module
 */
import type { FakeFaults } from './faults.js'
import type { FakeComfyUIOptions } from './server.js'

/** ComfyUI flags that take a value, so their value is not mistaken for a flag of ours. */
const COMFY_VALUE_FLAGS = new Set([
  '--output-directory',
  '--input-directory',
  '--temp-directory',
  '--user-directory',
  '--base-directory',
  '--extra-model-paths-config',
  '--front-end-root',
  '--front-end-version',
  '--database-url',
  '--preview-method',
  '--preview-size',
  '--cuda-device',
  '--default-device',
  '--verbose',
  '--max-upload-size',
  '--reserve-vram',
  '--cache-lru',
  '--cache-ram',
  '--whitelist-custom-nodes',
  '--enable-cors-header',
  '--tls-keyfile',
  '--tls-certfile',
  '--default-hashing-function',
  '--comfy-api-base',
  '--fast',
])

/** What {@link parseFakeArgs} returns: server options plus CLI-only settings. */
export interface FakeCliSettings {
  options: FakeComfyUIOptions
  /** Log to stdout (ComfyUI's `--log-stdout`) instead of stderr. */
  logStdout: boolean
  /** No log lines at all. */
  quiet: boolean
}

/**
 * Parses the fake's argv.
 * @example
 * parseFakeArgs(['--port', '8188', '--step-ms', '20', '--oom-node', '13', '--disable-auto-launch'])
 */
export function parseFakeArgs(argv: readonly string[]): FakeCliSettings {
  const options: FakeComfyUIOptions = { port: 8188, exitOnCrash: true, argv: [...argv] }
  const faults: FakeFaults = {}
  const checkpoints: string[] = []
  let logStdout = false
  let quiet = false
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg]
    const next = argv[i + 1]
    const hasNext = next !== undefined && !next.startsWith('--')
    const value = (): string => {
      if (inline !== undefined) return inline
      if (!hasNext) throw new Error(`fake ComfyUI: ${flag} needs a value`)
      i++
      return next
    }
    const number = (): number => {
      const raw = value()
      const n = Number(raw)
      if (!Number.isFinite(n)) throw new Error(`fake ComfyUI: ${flag} needs a number, got ${raw}`)
      return n
    }
    switch (flag) {
      case '--port':
        options.port = number()
        break
      case '--listen':
        options.host = inline ?? (hasNext ? value() : '0.0.0.0')
        options.host = options.host.split(',')[0] || '0.0.0.0'
        break
      case '--output-directory':
        options.outputDirectory = value()
        break
      case '--step-ms':
        options.stepMs = number()
        break
      case '--node-ms':
        options.nodeMs = number()
        break
      case '--model-load-ms':
        options.modelLoadMs = number()
        break
      case '--task-done-delay-ms':
        options.taskDoneDelayMs = number()
        break
      case '--boot-delay-ms':
        options.bootDelayMs = number()
        break
      case '--boot-mode': {
        const mode = value()
        if (mode !== 'refuse' && mode !== '503')
          throw new Error(`fake ComfyUI: --boot-mode is refuse or 503, got ${mode}`)
        options.bootMode = mode
        break
      }
      case '--checkpoint':
        checkpoints.push(value())
        break
      case '--fail-node':
        faults.nodeError = { ...faults.nodeError, node: value() }
        break
      case '--fail-type':
        faults.nodeError = { ...faults.nodeError, exceptionType: value() }
        break
      case '--fail-message':
        faults.nodeError = { ...faults.nodeError, message: value() }
        break
      case '--oom-node':
        faults.oom = { node: value() }
        break
      case '--hang-node':
        faults.hang = { node: value() }
        break
      case '--crash-node':
        faults.crash = { node: value() }
        break
      case '--drop-ws-node':
        faults.dropWebSockets = { node: value() }
        break
      case '--faults':
        Object.assign(faults, JSON.parse(value()) as FakeFaults)
        break
      case '--log-stdout':
        logStdout = true
        break
      case '--quiet':
        quiet = true
        break
      default:
        if (COMFY_VALUE_FLAGS.has(flag) && inline === undefined && hasNext) i++
        else if (!flag.startsWith('--') && i > 0) break
    }
  }
  if (checkpoints.length > 0) options.checkpoints = checkpoints
  options.faults = faults
  return { options, logStdout, quiet }
}

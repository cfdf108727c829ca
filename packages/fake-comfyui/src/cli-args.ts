/**
 * Command-line parsing of the fake, with `node:util.parseArgs` over one table of the fake's flags. ComfyUI's own
 * flags are accepted and ignored (with the word after them as their value), so a supervisor can launch the fake with
 * exactly the argv it gives `python main.py`.
 * @module
 */
import { parseArgs } from 'node:util'
import type { FakeFaults } from './faults.js'
import type { FakeComfyUIOptions } from './server.js'

/** What {@link parseFakeArgs} returns: server options plus CLI-only settings. */
export interface FakeCliSettings {
  options: FakeComfyUIOptions
  /** Log to stdout (ComfyUI's `--log-stdout`) instead of stderr. */
  logStdout: boolean
  /** No log lines at all. */
  quiet: boolean
}

/** What one flag of the table sets, given its value (`undefined` for a switch given alone). */
type Apply = (settings: FakeCliSettings & { faults: FakeFaults; checkpoints: string[] }, raw: string) => void

/** How a flag takes its value: `text`/`number` need one, `switch` takes none, `optional` may take one (`--listen`). */
type Kind = 'text' | 'number' | 'switch' | 'optional'

const FLAGS: Record<string, { kind: Kind; apply: Apply }> = {
  port: { kind: 'number', apply: (s, raw) => (s.options.port = Number(raw)) },
  listen: { kind: 'optional', apply: (s, raw) => (s.options.host = raw.split(',')[0] || '0.0.0.0') },
  'output-directory': { kind: 'text', apply: (s, raw) => (s.options.outputDirectory = raw) },
  'step-ms': { kind: 'number', apply: (s, raw) => (s.options.stepMs = Number(raw)) },
  'node-ms': { kind: 'number', apply: (s, raw) => (s.options.nodeMs = Number(raw)) },
  'model-load-ms': { kind: 'number', apply: (s, raw) => (s.options.modelLoadMs = Number(raw)) },
  'task-done-delay-ms': { kind: 'number', apply: (s, raw) => (s.options.taskDoneDelayMs = Number(raw)) },
  'boot-delay-ms': { kind: 'number', apply: (s, raw) => (s.options.bootDelayMs = Number(raw)) },
  'boot-mode': {
    kind: 'text',
    apply: (s, raw) => {
      if (raw !== 'refuse' && raw !== '503') throw new Error(`fake ComfyUI: --boot-mode is refuse or 503, got ${raw}`)
      s.options.bootMode = raw
    },
  },
  checkpoint: { kind: 'text', apply: (s, raw) => s.checkpoints.push(raw) },
  'fail-node': { kind: 'text', apply: (s, raw) => (s.faults.nodeError = { ...s.faults.nodeError, node: raw }) },
  'fail-type': {
    kind: 'text',
    apply: (s, raw) => (s.faults.nodeError = { ...s.faults.nodeError, exceptionType: raw }),
  },
  'fail-message': { kind: 'text', apply: (s, raw) => (s.faults.nodeError = { ...s.faults.nodeError, message: raw }) },
  'oom-node': { kind: 'text', apply: (s, raw) => (s.faults.oom = { node: raw }) },
  'hang-node': { kind: 'text', apply: (s, raw) => (s.faults.hang = { node: raw }) },
  'crash-node': { kind: 'text', apply: (s, raw) => (s.faults.crash = { node: raw }) },
  'drop-ws-node': { kind: 'text', apply: (s, raw) => (s.faults.dropWebSockets = { node: raw }) },
  faults: { kind: 'text', apply: (s, raw) => Object.assign(s.faults, JSON.parse(raw) as FakeFaults) },
  'log-stdout': { kind: 'switch', apply: (s) => (s.logStdout = true) },
  quiet: { kind: 'switch', apply: (s) => (s.quiet = true) },
}

/** parseArgs' view of the table: flags that need a value are strings, the others booleans. */
const argSpec = Object.fromEntries(
  Object.entries(FLAGS).map(([name, { kind }]) => [
    name,
    { type: kind === 'text' || kind === 'number' ? ('string' as const) : ('boolean' as const) },
  ]),
)

/**
 * Parses the fake's argv.
 * @example
 * parseFakeArgs(['--port', '8188', '--step-ms', '20', '--oom-node', '13', '--disable-auto-launch'])
 */
export function parseFakeArgs(argv: readonly string[]): FakeCliSettings {
  const settings = {
    options: { port: 8188, exitOnCrash: true, argv: [...argv] } as FakeComfyUIOptions,
    logStdout: false,
    quiet: false,
    faults: {} as FakeFaults,
    checkpoints: [] as string[],
  }
  const { tokens } = parseArgs({
    args: [...argv],
    options: argSpec,
    strict: false,
    allowPositionals: true,
    tokens: true,
  })
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!
    if (token.kind !== 'option') continue
    // The word right after a flag without an inline value is its value (ComfyUI's flags' too, which are ignored).
    const next = tokens[i + 1]
    const following = next?.kind === 'positional' && next.index === token.index + 1 ? next.value : undefined
    const flag = FLAGS[token.name]
    if (!flag || token.rawName !== `--${token.name}`) {
      if (following !== undefined) i++
      continue
    }
    if (flag.kind === 'switch') {
      flag.apply(settings, '')
      continue
    }
    if (flag.kind === 'optional') {
      const raw = token.value ?? following ?? '0.0.0.0'
      if (token.value === undefined && following !== undefined) i++
      flag.apply(settings, raw)
      continue
    }
    const raw = token.inlineValue ? token.value : token.value?.startsWith('--') ? undefined : token.value
    if (raw === undefined) throw new Error(`fake ComfyUI: ${token.rawName} needs a value`)
    if (flag.kind === 'number' && !Number.isFinite(Number(raw))) {
      throw new Error(`fake ComfyUI: ${token.rawName} needs a number, got ${raw}`)
    }
    flag.apply(settings, raw)
  }
  const { options, faults, checkpoints, logStdout, quiet } = settings
  if (checkpoints.length > 0) options.checkpoints = checkpoints
  options.faults = faults
  return { options, logStdout, quiet }
}

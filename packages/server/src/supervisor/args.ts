/** What goes on ComfyUI's command line besides the script. */
export interface ComfyArgsOptions {
  /** Script started by the interpreter, relative to the ComfyUI directory. @default 'main.py' */
  entry?: string
  /** Interface ComfyUI binds; keep it on loopback behind this server. @default '127.0.0.1' */
  host?: string
  /** Port ComfyUI listens on. @default 8188 */
  port?: number
  /** `--extra-model-paths-config` file written by the weights cache. */
  extraModelPathsConfig?: string
  /** `--output-directory`, for workflows that still write files. */
  outputDirectory?: string
  /** Operator flags appended last, so they win over ours (`COMFYUI_ARGS`). @default [] */
  extraArgs?: readonly string[]
}

/**
 * The argv for ComfyUI: loopback listen, no browser, logs below ERROR on stdout (so stderr means trouble), then extras.
 * @example buildComfyArgs({ port: 8188, extraArgs: ['--highvram'] })
 * // ['main.py', '--listen', '127.0.0.1', '--port', '8188', '--disable-auto-launch', '--log-stdout', '--highvram']
 */
export function buildComfyArgs(options: ComfyArgsOptions = {}): string[] {
  const args = [
    options.entry ?? 'main.py',
    '--listen',
    options.host ?? '127.0.0.1',
    '--port',
    String(options.port ?? 8188),
  ]
  args.push('--disable-auto-launch', '--log-stdout')
  if (options.extraModelPathsConfig) args.push('--extra-model-paths-config', options.extraModelPathsConfig)
  if (options.outputDirectory) args.push('--output-directory', options.outputDirectory)
  args.push(...(options.extraArgs ?? []))
  return args
}

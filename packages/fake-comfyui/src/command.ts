/**
 * How to launch the fake as a child process (what a supervisor spawns in place of `python main.py`).
 * @module
 */
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/** A command line: executable and arguments. */
export interface CommandLine {
  command: string
  args: string[]
}

/**
 * The command that runs the fake's CLI with `args` (ComfyUI flags and fake knobs). From sources it runs the
 * TypeScript through `tsx` with the `genimage-source` condition; from a build it runs `cli.js` directly.
 * @example
 * const { command, args } = fakeComfyCommand(['--port', '8188', '--step-ms', '20'])
 * spawn(command, args, { stdio: 'inherit' })
 */
export function fakeComfyCommand(args: readonly string[] = []): CommandLine {
  const ts = fileURLToPath(new URL('./cli.ts', import.meta.url))
  if (import.meta.url.endsWith('.ts') && existsSync(ts)) {
    return { command: process.execPath, args: ['--conditions=genimage-source', '--import', 'tsx', ts, ...args] }
  }
  return { command: process.execPath, args: [fileURLToPath(new URL('./cli.js', import.meta.url)), ...args] }
}

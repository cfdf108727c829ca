#!/usr/bin/env node
/**
 * Runs the fake ComfyUI as a process, in place of `python main.py`: same flags (ComfyUI's are accepted), same
 * "To see the GUI go to:" line once it serves, and a crash fault that kills the process with SIGKILL.
 * @example
 * node --conditions=genimage-source --import tsx src/cli.ts --port 8188 --step-ms 20
 * @module
 */
import { parseFakeArgs } from './cli-args.js'
import { FakeComfyUI } from './server.js'

const { options, logStdout, quiet } = parseFakeArgs(process.argv.slice(2))
const out = logStdout ? process.stdout : process.stderr
options.log = quiet ? () => {} : (line) => out.write(`${line}\n`)
out.write(`fake ComfyUI 0.8.0 pid=${process.pid}\n`)

const fake = await FakeComfyUI.start(options)
const stop = () => {
  void fake.close().then(() => process.exit(0))
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
await fake.booted

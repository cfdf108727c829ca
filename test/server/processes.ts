import { type ChildProcess, spawn } from 'node:child_process'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { type Logger, pino } from 'pino'
import { REPO_ROOT } from '../contract/server-target.js'

/** A spawned process with everything it printed. */
export interface Spawned {
  child: ChildProcess
  /** stdout and stderr so far, interleaved. */
  output(): string
  /** Resolves with the exit code (or the signal name) once the process ended. */
  exited: Promise<number | string>
  /** Resolves with the first stdout line matching `test`, parsed as JSON when it is JSON. */
  line(test: (line: string) => boolean, timeoutMs?: number): Promise<string>
  /** SIGKILLs the process if it still runs. */
  kill(): void
}

const running = new Set<ChildProcess>()

/** Spawns `command`, collecting its output; remember to {@link killAll} in `afterEach`. */
export function spawnCollecting(command: string, args: string[], env: Record<string, string> = {}): Spawned {
  const child = spawn(command, args, {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  running.add(child)
  let output = ''
  let stdout = ''
  const waiting = new Set<() => void>()
  const onData = (chunk: Buffer, isStdout: boolean) => {
    output += chunk.toString()
    if (isStdout) stdout += chunk.toString()
    for (const check of [...waiting]) check()
  }
  child.stdout!.on('data', (chunk: Buffer) => onData(chunk, true))
  child.stderr!.on('data', (chunk: Buffer) => onData(chunk, false))
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => {
      running.delete(child)
      resolve(code ?? signal ?? 'unknown')
      for (const check of [...waiting]) check()
    }),
  )
  return {
    child,
    output: () => output,
    exited,
    line(test, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(check)
          reject(new Error(`no matching line within ${timeoutMs} ms; output:\n${output}`))
        }, timeoutMs)
        const check = () => {
          const found = stdout.split('\n').find((line) => line.length > 0 && test(line))
          if (found !== undefined) {
            clearTimeout(timer)
            waiting.delete(check)
            resolve(found)
          } else if (child.exitCode !== null || child.signalCode !== null) {
            clearTimeout(timer)
            waiting.delete(check)
            reject(new Error(`process exited (${child.exitCode ?? child.signalCode}) first; output:\n${output}`))
          }
        }
        waiting.add(check)
        check()
      })
    },
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    },
  }
}

/** Runs `genimage-server` from its TypeScript sources (no build needed), with `args` and `env`. */
export function spawnServerMain(args: string[], env: Record<string, string> = {}): Spawned {
  const main = join(REPO_ROOT, 'packages/server/src/main.ts')
  return spawnCollecting(process.execPath, ['--conditions=genimage-source', '--import', 'tsx', main, ...args], env)
}

/** Kills every process spawned here that still runs. */
export function killAll(): void {
  for (const child of running) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  running.clear()
}

/** A logger that keeps the server's log records in memory, for asserting what an operator would read. */
export function memoryLogger(): { logger: Logger; messages(): string[] } {
  const records: { msg?: string }[] = []
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line) records.push(JSON.parse(line) as { msg?: string })
      done()
    },
  })
  return { logger: pino({ level: 'info' }, sink), messages: () => records.map((record) => record.msg ?? '') }
}

/** Polls `probe` until it returns something other than undefined. */
export async function eventually<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe().catch(() => undefined)
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** The value of a Prometheus sample, e.g. `genimage_comfyui_restarts_total`. */
export async function metric(baseUrl: string, name: string): Promise<number> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text()
  const match = new RegExp(`^${name} (\\S+)$`, 'm').exec(text)
  if (!match) throw new Error(`no ${name} in /metrics:\n${text}`)
  return Number(match[1])
}

import { spawnSync } from 'node:child_process'
import { accessSync, constants } from 'node:fs'
import { delimiter, isAbsolute, join } from 'node:path'

/** A missing tool that `npm test` needs: its message is the whole report (no stack), naming the install command. */
export class MissingPrerequisite extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'MissingPrerequisite'
    this.stack = `${this.name}: ${message}`
  }
}

const executable = (file: string): boolean => {
  try {
    accessSync(file, constants.X_OK)
    return true
  } catch {
    return false
  }
}

/**
 * Throws {@link MissingPrerequisite} unless `command` (a name looked up on `PATH`, or an absolute path) is executable.
 * @example requireCommand('redis-server', 'the Redis queue tests', 'apt-get install redis-server')
 */
export function requireCommand(
  command: string,
  needs: string,
  install: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): void {
  const found = isAbsolute(command)
    ? executable(command)
    : (env['PATH'] ?? '').split(delimiter).some((dir) => dir !== '' && executable(join(dir, command)))
  if (!found) {
    const where = isAbsolute(command) ? command : `${command} (not on PATH)`
    throw new MissingPrerequisite(`${needs} need ${where}; install it with: ${install}`)
  }
}

/**
 * Throws {@link MissingPrerequisite} unless `python` can import every module of `modules`.
 * @example requirePythonModules('python3', ['moto.server'], 'the S3 tests', "pip install 'moto[server]'")
 */
export function requirePythonModules(python: string, modules: readonly string[], needs: string, install: string): void {
  const probe = spawnSync(python, ['-c', `import ${modules.join(', ')}`], { encoding: 'utf8' })
  if (probe.status !== 0) {
    throw new MissingPrerequisite(`${needs} need ${python} with ${modules.join(', ')}; install it with: ${install}`)
  }
}

/**
 * Throws {@link MissingPrerequisite} unless moto's S3 server can start from `python`.
 * @default python `$PYTHON` or `python3`
 * @example requireMoto()
 */
export function requireMoto(python = process.env['PYTHON'] ?? 'python3'): void {
  requirePythonModules(python, ['moto.server', 'flask', 'flask_cors'], 'the S3 tests', "pip install 'moto[server]'")
}

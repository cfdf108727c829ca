import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { MissingPrerequisite, requireCommand, requireMoto } from '../prerequisites.js'

const root = fileURLToPath(new URL('../..', import.meta.url))

const thrown = (run: () => void): string => {
  try {
    run()
  } catch (error) {
    expect(error).toBeInstanceOf(MissingPrerequisite)
    expect((error as Error).stack).toBe(`MissingPrerequisite: ${(error as Error).message}`)
    return (error as Error).message
  }
  throw new Error('expected a MissingPrerequisite')
}

describe('a missing test prerequisite is one line naming its install command', () => {
  it('finds a command on PATH, and names it with its install command when PATH lacks it', () => {
    expect(() => requireCommand('sh', 'the shell tests', 'apt-get install dash')).not.toThrow()
    expect(
      thrown(() =>
        requireCommand('redis-server', 'the Redis queue tests', 'apt-get install redis-server', { PATH: '/nowhere' }),
      ),
    ).toBe('the Redis queue tests need redis-server (not on PATH); install it with: apt-get install redis-server')
  })

  it('checks an absolute path (CHROMIUM_PATH)', () => {
    expect(thrown(() => requireCommand('/nowhere/chromium', 'the browser tests', 'apt-get install chromium'))).toBe(
      'the browser tests need /nowhere/chromium; install it with: apt-get install chromium',
    )
  })

  it('names pip install for moto when the Python cannot import it', () => {
    expect(thrown(() => requireMoto('/nowhere/python3'))).toBe(
      "the S3 tests need /nowhere/python3 with moto.server, flask, flask_cors; install it with: pip install 'moto[server]'",
    )
  })

  it('fails a Redis test file at once with that line, no stack and no timeout', async () => {
    const started = Date.now()
    const result = await promisify(execFile)(
      process.execPath,
      ['node_modules/vitest/vitest.mjs', 'run', '--project', 'queue', 'test/queue/redis.test.ts'],
      { cwd: root, env: { ...process.env, PATH: '/nowhere', REDIS_SERVER: 'redis-server', NO_COLOR: '1' } },
    ).then(
      () => ({ code: 0, output: '' }),
      (error: { code: number; stdout: string; stderr: string }) => ({
        code: error.code,
        output: error.stdout + error.stderr,
      }),
    )
    expect(result.code).toBe(1)
    expect(result.output).toContain(
      'MissingPrerequisite: the Redis queue tests need redis-server (not on PATH); install it with: apt-get install redis-server (or set REDIS_SERVER)',
    )
    expect(result.output).not.toMatch(/timed out|\bat startRedis\b/)
    expect(Date.now() - started).toBeLessThan(30_000)
  }, 60_000)
})

#!/usr/bin/env node
// Fuzzes openapi/genimage.yaml with schemathesis against the built genimage-server (synthetic backend, two API keys)
// and the built genimage-mock, one after the other, and fails on any 5xx, any answer the contract does not describe,
// or an unhandled error in a server's log. Needs `schemathesis` (pip, 4.x) and a build
// (`npx turbo run build --filter=@genimage/server... --filter=@genimage/mocks`).
//
//   node test/fuzz/schemathesis.mjs [server|mock ...]
//
// FUZZ_MAX_EXAMPLES (default 200 per operation), FUZZ_SEED (default 8), FUZZ_MAX_TIME_S (default 120 per target).
// Reports (JUnit, and an NDJSON event log) go to test-results/fuzz/<target>/.
import { spawn } from 'node:child_process'
import { mkdirSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const maxExamples = process.env.FUZZ_MAX_EXAMPLES ?? '200'
const seed = process.env.FUZZ_SEED ?? '8'
const maxTimeS = process.env.FUZZ_MAX_TIME_S ?? '120'
const KEYS = ['fuzz-key-a', 'fuzz-key-b']

/** A free TCP port on 127.0.0.1 (asked of the kernel, then released). */
const freePort = () =>
  new Promise((done, fail) => {
    const probe = createServer()
    probe.once('error', fail)
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address()
      probe.close(() => done(port))
    })
  })

/** Resolves when `url` answers 200, polling for up to `timeoutMs`. */
const waitFor = async (url, child, timeoutMs = 30_000) => {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`exited with code ${child.exitCode} before ${url} answered`)
    const ok = await fetch(url).then(
      (response) => response.ok,
      () => false,
    )
    if (ok) return
    await new Promise((done) => setTimeout(done, 200))
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms`)
}

/** Starts a process, keeping its output to scan after the run. */
const start = (args, env) => {
  const child = spawn(process.execPath, args, { cwd: root, env: { ...process.env, ...env } })
  const output = []
  child.stdout.on('data', (chunk) => output.push(chunk))
  child.stderr.on('data', (chunk) => output.push(chunk))
  return { child, log: () => Buffer.concat(output).toString('utf8') }
}

/**
 * Schemathesis closes with a pytest-style banner ("=== 2 warnings in 120.04s ==="), which CI's log reader takes for a
 * pytest run that executed no test. Rewritten without the banner form; every other line passes through unchanged.
 */
const unbanner = (line) => {
  const banner = /^=+ (.+?) =+$/.exec(line)
  if (banner === null) return line
  return `--- schemathesis: ${banner[1].replace(/ in (\d+(?:\.\d+)?)s$/, ', $1 s')}`
}

/** Copies a child's output line by line through `unbanner`. */
const relay = (from, to) => {
  let pending = ''
  from.setEncoding('utf8')
  from.on('data', (chunk) => {
    const lines = (pending + chunk).split('\n')
    pending = lines.pop()
    for (const line of lines) to.write(`${unbanner(line)}\n`)
  })
  from.on('end', () => {
    if (pending !== '') to.write(`${unbanner(pending)}\n`)
  })
}

const stop = (child) =>
  new Promise((done) => {
    if (child.exitCode !== null) return done()
    child.once('exit', done)
    child.kill('SIGTERM')
    setTimeout(() => child.kill('SIGKILL'), 5_000).unref()
  })

const targets = {
  server: async (port) =>
    start(['packages/server/bin/genimage-server.js'], {
      PORT: String(port),
      HOST: '127.0.0.1',
      API_KEYS: KEYS.join(','),
      SYNTHETIC_STEP_MS: '0',
      SHUTDOWN_GRACE_MS: '1000',
      LOG_LEVEL: 'warn',
    }),
  mock: async (port) =>
    start([
      'packages/mocks/bin/genimage-mock.js',
      '--port',
      String(port),
      ...KEYS.flatMap((key) => ['--api-key', key]),
    ]),
}

/** Runs schemathesis against one target; resolves to the list of problems found (empty when clean). */
const fuzz = async (name) => {
  const port = await freePort()
  const base = `http://127.0.0.1:${port}`
  const { child, log } = await targets[name](port)
  const problems = []
  try {
    await waitFor(`${base}/ready`, child)
    const reportDir = resolve(root, 'test-results/fuzz', name)
    rmSync(reportDir, { recursive: true, force: true })
    mkdirSync(reportDir, { recursive: true })
    const args = [
      '--config-file',
      'test/fuzz/schemathesis.toml',
      'run',
      'openapi/genimage.yaml',
      '--url',
      base,
      '--checks',
      'all',
      '--header',
      `Authorization: Key ${KEYS[0]}`,
      '--max-examples',
      maxExamples,
      '--seed',
      seed,
      '--max-time',
      maxTimeS,
      '--workers',
      '1',
      '--request-timeout',
      '10',
      '--report',
      'junit,ndjson',
      '--report-dir',
      reportDir,
    ]
    console.log(`\n--- ${name} at ${base}: schemathesis ${args.join(' ')}`)
    const code = await new Promise((done) => {
      const runner = spawn('schemathesis', args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
      relay(runner.stdout, process.stdout)
      relay(runner.stderr, process.stderr)
      runner.once('error', (error) => {
        console.error(`cannot run schemathesis: ${error.message} (pip install 'schemathesis==4.*')`)
        done(127)
      })
      runner.once('close', (exitCode) => done(exitCode ?? 1))
    })
    if (code !== 0) problems.push(`schemathesis exited with ${code}`)
  } catch (error) {
    problems.push(error.message)
  } finally {
    await stop(child)
  }
  const unhandled = log()
    .split('\n')
    .filter((line) => /unhandled error|"level":(50|60)|\bat .+\.js:\d+:\d+/.test(line))
  if (unhandled.length > 0) problems.push(`${unhandled.length} error lines in its log, first: ${unhandled[0]}`)
  return problems
}

const chosen = process.argv.slice(2).length > 0 ? process.argv.slice(2) : Object.keys(targets)
let failed = false
for (const name of chosen) {
  if (!(name in targets)) throw new Error(`unknown target ${name}; choose from ${Object.keys(targets).join(', ')}`)
  const problems = await fuzz(name)
  console.log(`\n=== fuzz ${name}: ${problems.length === 0 ? 'clean' : problems.join('; ')}`)
  failed ||= problems.length > 0
}
process.exit(failed ? 1 : 0)

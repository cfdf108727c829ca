// Where the Redis queue's added latency goes: one API node and one worker process of the built server (synthetic
// backend, 0 ms per step) on a loopback Redis, sequential POST /generate, every Redis command recorded with MONITOR
// (Redis's own clock, µs). Per request it finds, in order: the API's LLEN (request validated, submit starts), the
// worker's moveToActive (woken by the add), the worker's first command of the run (cancel-marker EXISTS), its
// moveToFinished, and the API's next XREAD on its QueueEvents connection (the completed event arrived). Prints the median of each stage.
// MONITOR itself slows Redis a little: read the stages as shares, bench/queue/run.mjs for the latency.
// Usage: npx turbo run build --filter=@genimage/server... && node bench/queue/trace.mjs [requests=200]
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { createConnection } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePort, median } from '../lib.mjs'

const requests = Number(process.argv[2] ?? 200)
const root = fileURLToPath(new URL('../..', import.meta.url))
const children = []
const launch = (command, args, env = {}) => {
  const child = spawn(command, args, {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  children.push(child)
  return child
}
process.on('exit', () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL')
})
const waitFor = async (url) => {
  const deadline = Date.now() + 60_000
  while (
    !(await fetch(url).then(
      (r) => r.ok,
      () => false,
    ))
  ) {
    if (Date.now() > deadline) throw new Error(`${url} did not come up`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

const dir = await mkdtemp(join(tmpdir(), 'genimage-queue-trace-'))
const redisPort = await freePort()
launch('redis-server', [
  '--port',
  String(redisPort),
  '--bind',
  '127.0.0.1',
  '--save',
  '',
  '--appendonly',
  'no',
  '--dir',
  dir,
])
const env = {
  REDIS_URL: `redis://127.0.0.1:${redisPort}`,
  FILES_DIR: dir,
  SYNTHETIC_STEP_MS: '0',
  LOG_LEVEL: 'warn',
  HOST: '127.0.0.1',
}
const [workerPort, apiPort] = [await freePort(), await freePort()]
launch(process.execPath, ['packages/server/bin/genimage-server.js'], {
  ...env,
  ROLE: 'worker',
  PORT: String(workerPort),
})
launch(process.execPath, ['packages/server/bin/genimage-server.js'], { ...env, ROLE: 'api', PORT: String(apiPort) })
const api = `http://127.0.0.1:${apiPort}`
await waitFor(`${api}/ready`)

/** Connection address → name (genimage:api, genimage:worker-jobs, …), from CLIENT LIST. */
const clientNames = () =>
  new Promise((resolve, reject) => {
    const socket = createConnection(redisPort, '127.0.0.1', () => socket.write('CLIENT LIST\r\n'))
    let reply = ''
    socket.on('data', (chunk) => {
      reply += chunk
      const header = /^\$(\d+)\r\n/.exec(reply)
      if (!header || Buffer.byteLength(reply) < header[0].length + Number(header[1])) return
      socket.end()
      const names = new Map()
      for (const line of reply.split('\n')) {
        const addr = /addr=(\S+)/.exec(line)?.[1]
        if (addr) names.set(addr, /name=(\S*)/.exec(line)?.[1] || '?')
      }
      resolve(names)
    })
    socket.on('error', reject)
  })
const generate = async (index) => {
  const response = await fetch(`${api}/generate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ prompt: `trace ${index}`, width: 256, height: 256, num_inference_steps: 1, seed: index }),
  })
  await response.arrayBuffer()
  if (response.status !== 200) throw new Error(`generate answered ${response.status}`)
}
for (let index = 0; index < 20; index += 1) await generate(1_000_000 + index)
const names = await clientNames()

const monitor = createConnection(redisPort, '127.0.0.1', () => monitor.write('MONITOR\r\n'))
let log = ''
monitor.on('data', (chunk) => {
  log += chunk
})
await new Promise((resolve) => setTimeout(resolve, 200))
const marks = []
for (let index = 0; index < requests; index += 1) {
  const started = (performance.timeOrigin + performance.now()) / 1000
  await generate(index)
  marks.push([started, (performance.timeOrigin + performance.now()) / 1000])
  // A gap between requests keeps each request's commands apart from the last one's tail.
  await new Promise((resolve) => setTimeout(resolve, 20))
}
monitor.destroy()

const commands = []
for (const line of log.split('\r\n')) {
  const match = /^\+([\d.]+) \[\d+ (\S+)\] "(\w+)"(?: "([^"]*)" "(\d+)")?/.exec(line)
  if (match)
    commands.push({
      at: Number(match[1]),
      who: names.get(match[2]) ?? '?',
      command: match[3].toLowerCase(),
      keys: match[5],
    })
}
// BullMQ's scripts told apart by their key count: moveToActive has 11 keys, moveToFinished 14.
const stages = {
  'LLEN → worker moveToActive': [],
  'moveToActive → run starts': [],
  'run → moveToFinished': [],
  'moveToFinished → API has the event': [],
  'HTTP in → LLEN and after event → HTTP out': [],
}
for (const [start, end] of marks) {
  const window = commands.filter((c) => c.at >= start - 0.001 && c.at <= end + 0.001)
  const llen = window.find((c) => c.who.endsWith(':api') && c.command === 'llen')
  const active = window.find((c) => c.command === 'evalsha' && c.keys === '11' && c.at >= (llen?.at ?? Infinity))
  const run = window.find((c) => c.command === 'exists' && c.at >= (active?.at ?? Infinity))
  const finished = window.find((c) => c.command === 'evalsha' && c.keys === '14' && c.at >= (run?.at ?? Infinity))
  const event = window.find((c) => c.who.endsWith(':qe') && c.command === 'xread' && c.at > (finished?.at ?? Infinity))
  if (!llen || !active || !run || !finished || !event) continue
  stages['LLEN → worker moveToActive'].push(active.at - llen.at)
  stages['moveToActive → run starts'].push(run.at - active.at)
  stages['run → moveToFinished'].push(finished.at - run.at)
  stages['moveToFinished → API has the event'].push(event.at - finished.at)
  stages['HTTP in → LLEN and after event → HTTP out'].push(end - start - (event.at - llen.at))
}
const counted = stages['LLEN → worker moveToActive'].length
console.log(`${counted} of ${requests} requests traced; median ms per stage:`)
for (const [stage, values] of Object.entries(stages)) console.log(`  ${stage}: ${(median(values) * 1000).toFixed(2)}`)
for (const child of children) child.kill('SIGTERM')
await new Promise((resolve) => setTimeout(resolve, 300))
await rm(dir, { recursive: true, force: true })
process.exit(0)

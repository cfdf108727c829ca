// Where the memory of bench/limits/run.mjs's sync_mode run goes (issue 8): spawns the built genimage-server with
// --expose-gc and bench/limits/memory-probe.cjs, sends `count` POST /generate {sync_mode: true} 1024² requests from
// 16 clients, and prints process.memoryUsage() / V8 heap statistics before and after a forced full GC, idle and
// loaded. `env` (JSON) is added to the server's environment, e.g. '{"MALLOC_ARENA_MAX":"2"}'.
// Usage: node bench/limits/diagnose.mjs [count=3000] [label=default] [env={}]

import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

const [count, label] = [Number(process.argv[2] ?? 3000), process.argv[3] ?? 'default']
const extraEnv = JSON.parse(process.argv[4] ?? '{}')
const root = fileURLToPath(new URL('../..', import.meta.url))
const child = spawn(
  process.execPath,
  [
    '--expose-gc',
    '--require',
    `${root}/bench/limits/memory-probe.cjs`,
    `${root}/packages/server/bin/genimage-server.js`,
  ],
  {
    cwd: root,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', SYNTHETIC_STEP_MS: '0', ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  },
)
let url
for await (const line of createInterface({ input: child.stdout })) {
  try {
    url = JSON.parse(line).url
  } catch {}
  if (url) break
}
child.stdout.resume()
const probes = []
createInterface({ input: child.stderr }).on('line', (l) => {
  if (l.includes('memory_probe')) probes.push(JSON.parse(l).memory_probe)
})
while (
  !(await fetch(`${url}/ready`).then(
    (r) => r.ok,
    () => false,
  ))
)
  await new Promise((r) => setTimeout(r, 100))
const rss = () =>
  Math.round(Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))[1]) / 1024)
const probe = async () => {
  const n = probes.length
  child.kill('SIGUSR2')
  while (probes.length === n) await new Promise((r) => setTimeout(r, 50))
  return probes.at(-1)
}
const idle = await probe()
let next = 0
await Promise.all(
  Array.from({ length: 16 }, async () => {
    while (next < count) {
      const i = next++
      const r = await fetch(`${url}/generate`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ prompt: 'p', width: 1024, height: 1024, seed: i, sync_mode: true }),
      })
      await r.arrayBuffer()
    }
  }),
)
const loaded = await probe()
const after2 = await probe()
console.log(
  JSON.stringify(
    { label, count, idle, loaded, after_second_gc_rss: after2.after_gc.rss, final_rss_status: rss() },
    null,
    1,
  ),
)
child.kill('SIGKILL')
process.exit(0)

// Bounded memory and disk under load (issue 8): a spawned genimage-server (the built binary, synthetic backend,
// SYNTHETIC_STEP_MS=0) is driven by concurrent clients while its RSS (/proc/<pid>/status) and FILES_DIR are sampled.
//   1. memory: idle RSS, then `syncRequests` POST /generate {sync_mode: true} at 1024² (distinct seeds, so every image
//      is new) with the default settings; peak and final RSS against idle + RESULT_CACHE_BYTES (the result budget);
//   2. disk: `jobs` POST /generate (512², distinct seeds) with FILES_DIR and FILES_MAX_BYTES; bytes under FILES_DIR
//      sampled during the run against the budget.
// Linux only (reads /proc). Usage: npx turbo run build --filter=@genimage/server... && node bench/limits/run.mjs
//   [syncRequests=12000] [jobs=20000] [concurrency=16] [filesMaxBytes=33554432] [result=limits]
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { printTable, writeResult } from '../lib.mjs'

const [syncRequests, jobs, concurrency, filesMaxBytes] = [12_000, 20_000, 16, 32 * 2 ** 20].map((fallback, index) =>
  Number(process.argv[index + 2] ?? fallback),
)
const resultName = process.argv[6] ?? 'limits'
const root = fileURLToPath(new URL('../..', import.meta.url))
const bin = join(root, 'packages/server/bin/genimage-server.js')
const MIB = 2 ** 20
/** RESULT_CACHE_BYTES's default (packages/server/src/config/options.ts). */
const RESULT_BUDGET = 256 * MIB

const children = new Set()
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL')
})
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => process.exit(1))

/** Starts the server with `env`; resolves with its pid and URL once it accepts generations. */
const startServer = async (env) => {
  const child = spawn(process.execPath, [bin], {
    cwd: root,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', SYNTHETIC_STEP_MS: '0', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  children.add(child)
  // The first log line with a URL says where it listens; /ready says when it takes generations.
  let url
  for await (const line of createInterface({ input: child.stdout })) {
    url = JSON.parse(line).url
    if (url) break
  }
  // Keep reading the log (one line per job) so the server never blocks on a full pipe.
  child.stdout.resume()
  while (
    !(await fetch(`${url}/ready`).then(
      (response) => response.ok,
      () => false,
    ))
  ) {
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return {
    url,
    rss: () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))[1]) * 1024,
    stop: () => {
      child.kill('SIGKILL')
      children.delete(child)
    },
  }
}

/** Sends `count` generations from `concurrency` clients; `body(i)` is the i-th request; counts statuses. */
const drive = async (url, count, body, onAnswer = () => {}) => {
  const statuses = {}
  let next = 0
  let answered = 0
  const started = performance.now()
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++
        const response = await fetch(`${url}/generate`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body(i)),
        })
        await response.arrayBuffer()
        statuses[response.status] = (statuses[response.status] ?? 0) + 1
        onAnswer(++answered)
      }
    }),
  )
  return { statuses, seconds: Math.round((performance.now() - started) / 100) / 10 }
}

/** Calls `sample` every `ms` until the returned stop function is called; keeps the largest value. */
const sampling = (sample, ms) => {
  let peak = 0
  let running = Promise.resolve()
  const timer = setInterval(() => {
    running = running.then(async () => {
      peak = Math.max(peak, await sample())
    })
  }, ms)
  return async () => {
    clearInterval(timer)
    await running
    return Math.max(peak, await sample())
  }
}

const mib = (bytes) => Math.round((bytes / MIB) * 10) / 10

// 1. Memory: sync_mode results with the default result budget.
console.error(`memory: ${syncRequests} sync_mode 1024² requests…`)
const memoryServer = await startServer({})
await drive(memoryServer.url, 20, (i) => ({ prompt: 'warm-up', seed: i }))
const idle = memoryServer.rss()
const stopRss = sampling(() => memoryServer.rss(), 250)
// RSS after every tenth of the run: a plateau means bounded, a slope means something grows with the requests.
const checkpoints = []
const memoryRun = await drive(
  memoryServer.url,
  syncRequests,
  (i) => ({ prompt: 'sync_mode memory bench', width: 1024, height: 1024, seed: i, sync_mode: true }),
  (answered) => {
    if (answered % (syncRequests / 10) === 0) checkpoints.push({ requests: answered, rss_mib: mib(memoryServer.rss()) })
  },
)
const peakRss = await stopRss()
const finalRss = memoryServer.rss()
memoryServer.stop()

// 2. Disk: FILES_DIR under FILES_MAX_BYTES.
console.error(`disk: ${jobs} jobs with FILES_MAX_BYTES=${filesMaxBytes}…`)
const dir = await mkdtemp(join(tmpdir(), 'genimage-bench-files-'))
const diskServer = await startServer({ FILES_DIR: dir, FILES_MAX_BYTES: String(filesMaxBytes) })
const bytesOnDisk = async () => {
  let total = 0
  for (const name of await readdir(dir))
    total += await stat(join(dir, name)).then(
      (s) => s.size,
      () => 0,
    )
  return total
}
const stopDisk = sampling(bytesOnDisk, 500)
const diskRun = await drive(diskServer.url, jobs, (i) => ({ prompt: 'files bench', seed: i }))
const peakDisk = await stopDisk()
const filesLeft = (await readdir(dir)).length
diskServer.stop()
await rm(dir, { recursive: true, force: true })

const result = {
  memory: {
    requests: syncRequests,
    body: { width: 1024, height: 1024, sync_mode: true },
    concurrency,
    statuses: memoryRun.statuses,
    seconds: memoryRun.seconds,
    idle_rss_mib: mib(idle),
    peak_rss_mib: mib(peakRss),
    final_rss_mib: mib(finalRss),
    result_budget_mib: mib(RESULT_BUDGET),
    bound_mib: mib(idle + RESULT_BUDGET),
    within_bound: peakRss <= idle + RESULT_BUDGET,
    rss_by_requests: checkpoints,
  },
  disk: {
    jobs,
    body: { width: 512, height: 512 },
    concurrency,
    statuses: diskRun.statuses,
    seconds: diskRun.seconds,
    files_max_bytes_mib: mib(filesMaxBytes),
    peak_files_dir_mib: mib(peakDisk),
    peak_over_budget_bytes: Math.max(0, peakDisk - filesMaxBytes),
    files_left: filesLeft,
    within_bound: peakDisk <= filesMaxBytes,
  },
}
console.log(`written ${await writeResult(resultName, result)}`)
printTable([
  {
    run: `${syncRequests} sync_mode 1024²`,
    statuses: JSON.stringify(memoryRun.statuses),
    idle: `${mib(idle)} MiB RSS`,
    peak: `${mib(peakRss)} MiB RSS`,
    final: `${mib(finalRss)} MiB RSS`,
    bound: `${mib(idle + RESULT_BUDGET)} MiB (idle + result budget)`,
  },
  {
    run: `${jobs} jobs 512², FILES_DIR`,
    statuses: JSON.stringify(diskRun.statuses),
    idle: '',
    peak: `${mib(peakDisk)} MiB on disk`,
    final: `${filesLeft} files`,
    bound: `${mib(filesMaxBytes)} MiB (FILES_MAX_BYTES)`,
  },
])

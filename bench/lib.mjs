// Shared helpers of the bench scripts: statistics, machine description, result files.
import { mkdir, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import os from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))

/** A TCP port on 127.0.0.1 that was free a moment ago, for a server the bench starts. */
export const freePort = async () => {
  const server = createServer()
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address()
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** The p-th percentile (0–100) of numbers, by nearest rank. */
export const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]
}

/** Median of numbers. */
export const median = (values) => percentile(values, 50)

/** The machine a result was measured on. */
export const machine = () => ({
  cpu: os.cpus()[0]?.model ?? 'unknown',
  cores: os.cpus().length,
  memory_gib: Math.round(os.totalmem() / 2 ** 30),
  node: process.version,
  platform: `${process.platform}-${process.arch}`,
})

/** Writes `bench/results/<name>.json` and returns its path. */
export const writeResult = async (name, result) => {
  const path = join(here, 'results', `${name}.json`)
  await mkdir(dirname(path), { recursive: true })
  await writeFile(
    path,
    `${JSON.stringify({ measured_at: new Date().toISOString(), machine: machine(), ...result }, null, 2)}\n`,
  )
  return path
}

/** Prints rows as a markdown table. */
export const printTable = (rows) => {
  const columns = Object.keys(rows[0])
  console.log(`| ${columns.join(' | ')} |`)
  console.log(`| ${columns.map(() => '---').join(' | ')} |`)
  for (const row of rows) console.log(`| ${columns.map((column) => row[column]).join(' | ')} |`)
}

// Mutation testing (StrykerJS, vitest runner) of the client, core and proxy packages, one package at a time:
// too slow for every CI run (the client alone takes about 20 min on a 2-core machine), so it is a bench script.
//
//   node bench/mutation/run.mjs [client|core|proxy ...]     (default: client proxy core)
//
// Incremental: Stryker keeps bench/.tmp/mutation/<package>/incremental.json and re-tests only mutants whose code or
// covering tests changed. MUTATION_CONCURRENCY sets the test runner processes (default 1). Writes the scores to
// bench/results/mutation.json (packages not run keep their last numbers) and prints a table; surviving mutants are listed in the clear-text report above it.
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { printTable, writeResult } from '../lib.mjs'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const packages = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['client', 'proxy', 'core']

/** Counts of a Stryker JSON report (mutation-testing-report-schema) and its score: killed ÷ valid mutants. */
const summarise = (report) => {
  const counts = { Killed: 0, Timeout: 0, Survived: 0, NoCoverage: 0, CompileError: 0, RuntimeError: 0, Ignored: 0 }
  for (const file of Object.values(report.files)) {
    for (const mutant of file.mutants) counts[mutant.status] = (counts[mutant.status] ?? 0) + 1
  }
  const detected = counts.Killed + counts.Timeout
  const valid = detected + counts.Survived + counts.NoCoverage
  return {
    mutants: valid,
    killed: counts.Killed,
    timed_out: counts.Timeout,
    survived: counts.Survived,
    no_coverage: counts.NoCoverage,
    errors: counts.CompileError + counts.RuntimeError,
    score_percent: valid === 0 ? null : Math.round((detected / valid) * 1000) / 10,
  }
}

const resultPath = resolve(root, 'bench/results/mutation.json')
const previous = existsSync(resultPath) ? JSON.parse(readFileSync(resultPath, 'utf8')).packages : {}
const commit = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).stdout.trim()
const results = {}
for (const name of packages) {
  const started = Date.now()
  const run = spawnSync('npx', ['stryker', 'run', 'bench/mutation/stryker.config.mjs'], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, MUTATION_PACKAGE: name },
  })
  if (run.status !== 0) throw new Error(`stryker failed for ${name} (exit ${run.status})`)
  const report = JSON.parse(readFileSync(resolve(root, `bench/.tmp/mutation/${name}/mutation.json`), 'utf8'))
  const minutes = Math.round((Date.now() - started) / 6000) / 10
  results[name] = { ...summarise(report), minutes, commit, measured_at: new Date().toISOString() }
}

printTable(Object.entries(results).map(([name, { measured_at, ...result }]) => ({ package: name, ...result })))
// Packages not run this time keep their last measurement.
const all = { ...previous, ...results }
console.log(`\nwrote ${await writeResult('mutation', { tool: 'StrykerJS 10.1 + vitest runner', packages: all })}`)

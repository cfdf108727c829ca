// Sums the vitest JSON reports that .ci/run wrote and prints the closing line CI reads:
// "tests: N passed, N failed, N skipped". Exits 1 when a report is missing, unreadable or ran no test.
import { readFile } from 'node:fs/promises'

const reports = process.argv.slice(2)
if (reports.length === 0) {
  console.error('usage: node .ci/tally.mjs <vitest-report.json>...')
  process.exit(2)
}
let passed = 0
let failed = 0
let skipped = 0
for (const path of reports) {
  const report = JSON.parse(await readFile(path, 'utf8'))
  if (!(report.numTotalTests > 0)) {
    console.error(`${path}: the run executed no test`)
    process.exit(1)
  }
  passed += report.numPassedTests
  failed += report.numFailedTests
  skipped += report.numPendingTests + report.numTodoTests
  console.log(`${path}: ${report.numPassedTests} passed, ${report.numFailedTests} failed`)
}
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`)
process.exit(failed > 0 ? 1 : 0)

// Runs its arguments as one shell command whose `node` is Node 22.18 or later: the Node running this script when it is,
// else the binary of npm's `node@22` package (fetched by npx, as CI does), so that `npm test` passes on a machine
// whose default Node is older. The tooling (vitest 5, msw 3, tsup 9) needs Node 22.18; see decisions/0009.
// Usage (package.json): "test": "node scripts/node22.mjs 'turbo run build && vitest run'"
import { execFileSync, spawnSync } from 'node:child_process'
import { delimiter, dirname } from 'node:path'

const command = process.argv.slice(2).join(' ')
let env = process.env
const [major, minor] = process.versions.node.split('.').map(Number)
if (major < 22 || (major === 22 && minor < 18)) {
  const execPath = execFileSync('npx', ['-y', 'node@22', '-p', 'process.execPath'], { encoding: 'utf8' }).trim()
  console.error(`genimage: Node ${process.version} is older than the tooling needs (22.18); running on ${execPath}`)
  env = { ...process.env, PATH: `${dirname(execPath)}${delimiter}${process.env.PATH}` }
}
const result = spawnSync(command, { shell: true, stdio: 'inherit', env })
process.exit(result.status ?? 1)

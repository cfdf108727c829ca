// Builds what the GPU machine needs for the pool benchmark into bench/.tmp/pool/ (git-ignored; `run` carries it):
// the server and the driver as one-file bundles, the server's comfyui-nodes/ and workflows/ beside the server bundle
// (where it looks for them), the fake ComfyUI bundle for rehearsals, and the Python stand-ins ComfyUI imports.
//
// The server is bundled from a commit (default HEAD), not from the working tree: other work in progress in the tree
// does not end up in the measurement, and the results name the commit they measured.
//
//   node bench/pool/build.mjs [--commit REV] [--stubs DIR]   (DIR default: /work/shared/gpu/stubs)
import { execFileSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const here = dirname(fileURLToPath(import.meta.url))
const repo = join(here, '../..')
const out = join(repo, 'bench/.tmp/pool')
const argValue = (flag, fallback) => {
  const index = process.argv.indexOf(flag)
  return index > 0 ? process.argv[index + 1] : fallback
}
const commit = execFileSync('git', ['rev-parse', argValue('--commit', 'HEAD')], { cwd: repo, encoding: 'utf8' }).trim()

// The commit's packages, outside the repository so that nothing resolves back into the working tree.
const snapshot = '/tmp/genimage-pool-snapshot'
rmSync(snapshot, { recursive: true, force: true })
mkdirSync(snapshot, { recursive: true })
execFileSync(
  'sh',
  [
    '-c',
    `git archive ${commit} tsconfig.base.json packages/core packages/server packages/fake-comfyui | tar -x -C ${snapshot}`,
  ],
  { cwd: repo },
)

rmSync(out, { recursive: true, force: true })
mkdirSync(join(out, 'pkg/dist'), { recursive: true })
const common = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  conditions: ['genimage-source'],
  // Third-party packages from this checkout's node_modules; @genimage/core from the snapshot.
  nodePaths: [join(repo, 'node_modules')],
  alias: { '@genimage/core': join(snapshot, 'packages/core/src/index.ts') },
  // CommonJS dependencies (pino, ws) call require() for Node built-ins.
  banner: {
    js: "import { createRequire as __poolRequire } from 'node:module'; const require = __poolRequire(import.meta.url);",
  },
  external: ['bufferutil', 'utf-8-validate'],
  logLevel: 'warning',
  legalComments: 'none',
}
const server = join(snapshot, 'packages/server')
await build({ ...common, entryPoints: [join(server, 'src/main.ts')], outfile: join(out, 'pkg/dist/server.mjs') })
await build({
  ...common,
  entryPoints: [join(snapshot, 'packages/fake-comfyui/src/cli.ts')],
  outfile: join(out, 'fake-comfy.mjs'),
})
await build({ ...common, entryPoints: [join(here, 'driver.ts')], outfile: join(out, 'driver.mjs') })
await build({ ...common, entryPoints: [join(here, 'redis-driver.ts')], outfile: join(out, 'redis-driver.mjs') })
for (const name of ['comfyui-nodes', 'workflows'])
  cpSync(join(server, name), join(out, 'pkg', name), { recursive: true })
writeFileSync(join(out, 'commit.txt'), `${commit}\n`)

const stubs = argValue('--stubs', '/work/shared/gpu/stubs')
if (existsSync(stubs)) cpSync(stubs, join(out, 'stubs'), { recursive: true })
else console.warn(`no stubs at ${stubs}: ComfyUI will fail to import av/trampoline`)

console.log(`commit ${commit}`)
for (const name of ['pkg/dist/server.mjs', 'driver.mjs', 'redis-driver.mjs', 'fake-comfy.mjs']) {
  console.log(`${name.padEnd(22)} ${(statSync(join(out, name)).size / 1024).toFixed(0)} KiB`)
}

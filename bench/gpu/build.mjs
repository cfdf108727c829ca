// Builds what the GPU machine needs and cannot build itself (it has no Node toolchain and no node_modules) into
// bench/.tmp/gpu/ (git-ignored; `run` carries it): one-file bundles of the server, the contract runner and the bench
// driver, plus the Python stand-ins ComfyUI imports (`av`, `trampoline`).
//
//   node bench/gpu/build.mjs [--stubs DIR]   (DIR: shared/gpu/stubs; default /work/shared/gpu/stubs)
import { cpSync, existsSync, mkdirSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const here = dirname(fileURLToPath(import.meta.url))
const repo = join(here, '../..')
const out = join(repo, 'bench/.tmp/gpu')
mkdirSync(out, { recursive: true })

const common = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  conditions: ['genimage-source'],
  // CommonJS dependencies (pino, ws) call require() for Node built-ins.
  banner: {
    js: "import { createRequire as __gpuRequire } from 'node:module'; const require = __gpuRequire(import.meta.url);",
  },
  // Optional native speed-ups of ws: absent here and there, ws falls back to JavaScript.
  external: ['bufferutil', 'utf-8-validate'],
  logLevel: 'warning',
  legalComments: 'none',
}

const bundles = [
  { entryPoints: [join(repo, 'packages/server/src/main.ts')], outfile: join(out, 'server.mjs') },
  { entryPoints: [join(here, 'driver.ts')], outfile: join(out, 'driver.mjs') },
  {
    entryPoints: [join(here, 'contract/run.ts')],
    outfile: join(out, 'contract.mjs'),
    alias: { vitest: join(here, 'contract/vitest-shim.ts'), sharp: join(here, 'contract/sharp-shim.ts') },
  },
  // Local rehearsals only: the fake ComfyUI as a process (bench/gpu/local-python.sh runs it in place of python3).
  { entryPoints: [join(repo, 'packages/fake-comfyui/src/cli.ts')], outfile: join(out, 'fake-comfy.mjs') },
]
for (const options of bundles) await build({ ...common, ...options })

const stubsIndex = process.argv.indexOf('--stubs')
const stubs = stubsIndex > 0 ? process.argv[stubsIndex + 1] : '/work/shared/gpu/stubs'
if (existsSync(stubs)) cpSync(stubs, join(out, 'stubs'), { recursive: true })
else if (!existsSync(join(out, 'stubs')))
  console.warn(`no stubs at ${stubs}: ComfyUI will fail to import av/trampoline`)

for (const name of ['server.mjs', 'driver.mjs', 'contract.mjs', 'fake-comfy.mjs']) {
  console.log(`${name.padEnd(16)} ${(statSync(join(out, name)).size / 1024).toFixed(0)} KiB`)
}

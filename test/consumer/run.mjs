#!/usr/bin/env node
/**
 * The consumer test: publishes every public @genimage package to a throwaway verdaccio registry, then installs them
 * into a new app outside the repository with the README's own `npm install` lines and runs that app's tests
 * (generate, progress, typed errors, CommonJS and ESM under plain Node, and a page in Chromium with msw's worker).
 *
 * Usage: `node test/consumer/run.mjs [--skip-build] [--keep] [--node <major>]`
 * - `--skip-build`: publish the `dist/` already built instead of running `turbo run build` first.
 * - `--keep`: leave the registry storage and the app in the temp folder, and print where.
 * - `--node <major>`: the Node major the app runs on, through npm's `node` package (default 22; `current` uses this
 *   process's Node).
 * Needs the npm registry (verdaccio proxies it for third-party packages) and Chromium (`CHROMIUM_PATH`, default
 * `/usr/bin/chromium`).
 * @module
 */
import { execFile, spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { delimiter, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs, promisify } from 'node:util'

const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, '../..')
const { values: flags } = parseArgs({
  options: {
    'skip-build': { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    node: { type: 'string', default: '22' },
  },
})

const started = Date.now()
const seconds = () => `${((Date.now() - started) / 1000).toFixed(1)}s`
const step = (what) => console.log(`\n--- consumer: ${what} (${seconds()})`)
const quiet = { npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' }

/** Runs a command with inherited output; rejects with the command line when it exits non-zero. */
function run(command, args, options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      stdio: ['ignore', 'inherit', 'inherit'],
      ...options,
      env: { ...process.env, ...quiet, ...options.env },
    })
    child.on('error', reject)
    child.on('exit', (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`\`${[command, ...args].join(' ')}\` exited ${code ?? signal}`)),
    )
  })
}

/** Runs a command and returns its stdout. */
async function output(command, args, options = {}) {
  const { stdout } = await promisify(execFile)(command, args, {
    maxBuffer: 16 * 1024 * 1024,
    ...options,
    env: { ...process.env, ...quiet, ...options.env },
  })
  return stdout
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })
}

/** The `npm install` lines of a README's shell blocks that install @genimage packages, in order. */
async function installLines(readme) {
  const text = await readFile(join(root, readme), 'utf8')
  const blocks = [...text.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1])
  const lines = blocks
    .flatMap((block) => block.split('\n'))
    .map((line) => line.replace(/\s+#.*$/, '').trim())
    .filter((line) => /^npm install .*@genimage\//.test(line))
  if (lines.length === 0) throw new Error(`${readme} has no \`npm install @genimage/…\` line in a sh block`)
  return lines
}

/**
 * Installs verdaccio from `registry/package-lock.json` into a temp folder kept between runs (keyed by the lockfile),
 * outside the workspaces, so the repository's own install does not carry a registry server and its 300 packages.
 */
async function installVerdaccio() {
  const lock = await readFile(join(here, 'registry/package-lock.json'))
  const manifest = await readFile(join(here, 'registry/package.json'))
  const key = createHash('sha256').update(manifest).update(lock).digest('hex').slice(0, 12)
  const folder = join(tmpdir(), `genimage-consumer-verdaccio-${key}`)
  const bin = join(folder, 'node_modules/verdaccio/bin/verdaccio')
  if (await stat(bin).catch(() => undefined)) return bin
  await rm(folder, { recursive: true, force: true })
  await mkdir(folder, { recursive: true })
  await writeFile(join(folder, 'package.json'), manifest)
  await writeFile(join(folder, 'package-lock.json'), lock)
  await run('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: folder })
  return bin
}

/** Starts verdaccio on a free port with its storage in `workdir`; resolves when it answers `/-/ping`. */
async function startRegistry(bin, workdir) {
  const port = await freePort()
  const config = join(workdir, 'verdaccio.yaml')
  await writeFile(
    config,
    [
      `storage: ${join(workdir, 'storage')}`,
      'uplinks:',
      '  npmjs:',
      '    url: https://registry.npmjs.org/',
      '    timeout: 60s',
      'packages:',
      "  '@genimage/*':",
      '    access: $all',
      '    publish: $all',
      "  '**':",
      '    access: $all',
      '    publish: $all',
      '    proxy: npmjs',
      'max_body_size: 50mb',
      'log: { type: stdout, format: pretty, level: error }',
      '',
    ].join('\n'),
  )
  const url = `http://127.0.0.1:${port}/`
  const child = spawn(process.execPath, [bin, '--config', config, '--listen', `127.0.0.1:${port}`], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, NODE_NO_WARNINGS: '1' },
  })
  const exited = new Promise((_, reject) => child.on('exit', (code) => reject(new Error(`verdaccio exited ${code}`))))
  for (let attempt = 0; ; attempt++) {
    const ping = await Promise.race([
      fetch(`${url}-/ping`).then(
        (response) => response.ok,
        () => false,
      ),
      exited,
    ])
    if (ping) return { url, child }
    if (attempt > 150) throw new Error(`verdaccio did not answer on ${url} within 30 s`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

/** The public packages under packages/, read from their package.json. */
async function publicPackages() {
  const found = []
  for (const name of (await readdir(join(root, 'packages'))).sort()) {
    const dir = join(root, 'packages', name)
    const manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8').catch(() => '{"private":true}'))
    if (!manifest.private) found.push({ dir, name: manifest.name, version: manifest.version })
  }
  return found
}

/**
 * Packs each package as `npm publish` would, rewrites the copy's version to `version` (internal dependencies too, so
 * they resolve to this run's copies), drops `publishConfig.provenance` (a local registry has no OIDC identity to sign
 * with) and publishes the copy. The packages in the repository are not touched.
 */
async function publishAll(packages, version, registry, workdir) {
  const npmrc = join(workdir, 'publish.npmrc')
  // verdaccio allows anonymous publish; npm only needs some token for the registry to send one.
  await writeFile(npmrc, `//${new URL(registry).host}/:_authToken=consumer-test\n`)
  const names = new Set(packages.map((pkg) => pkg.name))
  for (const pkg of packages) {
    const staging = await mkdtemp(join(workdir, 'pack-'))
    const [packed] = JSON.parse(await output('npm', ['pack', pkg.dir, '--json', '--pack-destination', staging]))
    await run('tar', ['-xzf', join(staging, packed.filename), '-C', staging])
    const file = join(staging, 'package/package.json')
    const manifest = JSON.parse(await readFile(file, 'utf8'))
    manifest.version = version
    for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies']) {
      for (const dependency of Object.keys(manifest[field] ?? {})) {
        if (names.has(dependency)) manifest[field][dependency] = version
      }
    }
    if (manifest.publishConfig) delete manifest.publishConfig.provenance
    await writeFile(file, `${JSON.stringify(manifest, null, 2)}\n`)
    await run('npm', [
      'publish',
      join(staging, 'package'),
      '--registry',
      registry,
      '--userconfig',
      npmrc,
      '--tag',
      'latest',
      '--loglevel=error',
    ])
    console.log(`published ${pkg.name}@${version} (${packed.files.length} files, ${packed.size} B packed)`)
  }
}

/** The environment that runs the app on Node `major`: its `node` first on PATH, so npm, npx and vitest use it. */
async function appEnvironment(major) {
  if (major === 'current') return {}
  const node = (await output('npx', ['-y', `node@${major}`, '-p', 'process.execPath'])).trim()
  return { PATH: `${dirname(node)}${delimiter}${process.env.PATH}` }
}

async function main() {
  const packages = await publicPackages()
  if (!flags['skip-build']) {
    step('build the public packages')
    const filters = packages.map((pkg) => `--filter=${pkg.name}`)
    await run('npx', ['turbo', 'run', 'build', ...filters, '--output-logs=errors-only'], { cwd: root })
  }

  const workdir = await mkdtemp(join(tmpdir(), 'genimage-consumer-'))
  let registry
  try {
    step('start a throwaway verdaccio registry')
    registry = await startRegistry(await installVerdaccio(), workdir)
    console.log(`registry ${registry.url}, storage ${join(workdir, 'storage')}`)

    const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14)
    const version = `${packages[0].version.replace(/-.*$/, '')}-ci.${stamp}`
    step(`publish ${packages.map((pkg) => pkg.name).join(', ')} as ${version}`)
    await publishAll(packages, version, registry.url, workdir)

    step(`a new app in ${join(workdir, 'app')}, on Node ${flags.node}`)
    const app = join(workdir, 'app')
    await cp(join(here, 'app'), app, { recursive: true })
    const env = await appEnvironment(flags.node)
    console.log(`node ${(await output('node', ['--version'], { env })).trim()}`)
    const readme = [...(await installLines('README.md')), ...(await installLines('packages/proxy/README.md'))]
    for (const line of readme) {
      console.log(`$ ${line}      (from the README)`)
      await run('sh', ['-c', `${line} --registry ${registry.url} --no-audit --no-fund --loglevel=error`], {
        cwd: app,
        env,
      })
    }
    // The app's own tools for its page and its types, which the READMEs leave to the app.
    const tooling = 'npm install -D vite playwright-core typescript @types/node'
    console.log(`$ ${tooling}      (the app's own page and type tooling)`)
    await run('sh', ['-c', `${tooling} --registry ${registry.url} --no-audit --no-fund --loglevel=error`], {
      cwd: app,
      env,
    })
    const installed = JSON.parse(await output('npm', ['ls', '--json', '--depth=0'], { cwd: app, env }))
    for (const [name, { version: got }] of Object.entries(installed.dependencies ?? {})) console.log(`  ${name}@${got}`)
    for (const pkg of ['@genimage/client', '@genimage/mocks', '@genimage/proxy']) {
      if (installed.dependencies?.[pkg]?.version !== version) throw new Error(`${pkg} is not this run's ${version}`)
    }

    // The mocks README's `npx msw init public`; `--save` answers the question it asks on a terminal (CI has none).
    console.log('$ npx msw init public --save      (from the mocks README)')
    await run('npx', ['msw', 'init', 'public', '--save'], { cwd: app, env })

    step("the app's typecheck: tsc against the published types")
    await run('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: app, env })

    step("the app's tests: vitest run")
    await run('npm', ['test'], { cwd: app, env })

    step('done: the published packages work in a new app')
  } finally {
    registry?.child.kill()
    if (flags.keep) console.log(`kept ${workdir}`)
    else await rm(workdir, { recursive: true, force: true })
  }
}

main().catch((error) => {
  console.error(`\nconsumer test failed after ${seconds()}: ${error.message}`)
  process.exit(1)
})

// Bundle size of a one-call browser app per HTTP client: esbuild (bundle, minify, esm, platform browser), then
// node:zlib gzip level 9. Builds @genimage/client first so the numbers are those of the current source.
// Usage: node bench/bundle/run.mjs   Writes bench/results/bundle-size.json and prints a markdown table.
import { execFileSync } from 'node:child_process'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { build, version as esbuildVersion } from 'esbuild'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
/** The client's budget, min+gzip bytes (kB = 1000 bytes, as in research/client-anchors.md). */
const budget = 6000

/** One entry per library: the smallest realistic call that generates one image, its result used. */
const entries = [
  {
    name: '@genimage/client',
    package: '@genimage/client',
    code: `import { createClient } from '@genimage/client'
console.log(await createClient({ baseUrl: 'https://genimage.example.com' }).generate({ prompt: 'x' }))`,
  },
  {
    name: '@fal-ai/client (fal.run)',
    package: '@fal-ai/client',
    code: `import { fal } from '@fal-ai/client'
fal.config({ proxyUrl: '/api/fal/proxy' })
console.log(await fal.run('fal-ai/fast-sdxl', { input: { prompt: 'x' } }))`,
  },
  {
    name: 'openai (images.generate)',
    package: 'openai',
    code: `import OpenAI from 'openai'
const openai = new OpenAI({ apiKey: 'sk-x', dangerouslyAllowBrowser: true })
console.log(await openai.images.generate({ model: 'gpt-image-1', prompt: 'x' }))`,
  },
  {
    name: 'openapi-fetch (POST)',
    package: 'openapi-fetch',
    code: `import createClient from 'openapi-fetch'
console.log(await createClient({ baseUrl: 'https://genimage.example.com' }).POST('/generate', { body: { prompt: 'x' } }))`,
  },
  {
    name: 'ky alone (post().json())',
    package: 'ky',
    code: `import ky from 'ky'
console.log(await ky.post('https://genimage.example.com/generate', { json: { prompt: 'x' } }).json())`,
  },
]

/** The installed version (read from node_modules: not every package exports its package.json). */
async function packageVersion(name) {
  return JSON.parse(await readFile(join(root, 'node_modules', name, 'package.json'), 'utf8')).version
}

async function measure(entry) {
  const result = await build({
    stdin: { contents: entry.code, resolveDir: root, loader: 'js', sourcefile: 'entry.js' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    write: false,
    logLevel: 'silent',
  })
  const bytes = result.outputFiles[0].contents
  return { min: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length }
}

execFileSync('npm', ['run', 'build', '-w', '@genimage/client'], { cwd: root, stdio: 'ignore' })

const date = new Date().toISOString()
const results = []
for (const entry of entries) {
  const sizes = await measure(entry)
  results.push({ name: entry.name, package: entry.package, version: await packageVersion(entry.package), ...sizes })
}

const report = {
  date,
  node: process.version,
  esbuild: esbuildVersion,
  gzipLevel: 9,
  budget: { '@genimage/client': budget },
  results,
}
await mkdir(join(root, 'bench/results'), { recursive: true })
await writeFile(join(root, 'bench/results/bundle-size.json'), `${JSON.stringify(report, null, 2)}\n`)

const kb = (bytes) => `${bytes.toLocaleString('en-US')} B (${(bytes / 1000).toFixed(1)} kB)`
console.log(
  `Bundle size, one call, esbuild ${esbuildVersion} (minify, esm, browser), gzip -9, Node ${process.version}\n`,
)
console.log('| library | version | min | min+gzip |')
console.log('|---|---|---:|---:|')
for (const row of results) console.log(`| ${row.name} | ${row.version} | ${kb(row.min)} | ${kb(row.gzip)} |`)
const ours = results[0]
console.log(
  `\n@genimage/client: ${kb(ours.gzip)} min+gzip, budget ${kb(budget)}: ${ours.gzip <= budget ? 'within' : 'OVER'}`,
)
if (ours.gzip > budget) process.exitCode = 1

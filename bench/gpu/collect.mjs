// Merges the results.json files of one or more GPU runs (the device returns one per `run` call) into
// bench/results/<name>.json, writes the fixed summary bench/results/gpu-summary.json and the charts
// docs/img/gpu-*.svg (report.mjs, the same code the driver runs at the end of a run), and prints the doc's tables.
//
//   node bench/gpu/collect.mjs OUT1/results.json [OUT2/results.json …] [--name gpu-h200] [--note "…"]
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildReport } from './report.mjs'

const here = dirname(fileURLToPath(import.meta.url))
const args = process.argv.slice(2)
const option = (name) => {
  const index = args.indexOf(name)
  if (index < 0) return undefined
  const [value] = args.splice(index, 2).slice(1)
  return value
}

const name = option('--name') ?? 'gpu-h200'
const note = option('--note')
const runs = args.map((file) => {
  const run = JSON.parse(readFileSync(file, 'utf8'))
  if (run.local_fake) throw new Error(`${file} is a local rehearsal against the fake ComfyUI, not a GPU run`)
  return run
})
const merged = { benchmark: 'gpu', note, runs: [] }
for (const { gpu, runs: phases, phase_seconds, local_fake, ...rest } of runs) {
  merged.gpu ??= gpu
  if (merged.gpu !== gpu) throw new Error(`a run on ${gpu}, not ${merged.gpu}: keep one GPU per result file`)
  merged.runs.push({
    run: merged.runs.length + 1,
    phases: phases?.at(-1)?.phases,
    started_at: phases?.at(-1)?.started_at,
    phase_seconds,
  })
  Object.assign(merged, rest)
}
const results = join(here, '../results')
writeFileSync(join(results, `${name}.json`), `${JSON.stringify(merged, null, 1)}\n`)
const report = buildReport(runs)
writeFileSync(join(results, 'gpu-summary.json'), `${JSON.stringify(report.summary, null, 2)}\n`)
const img = join(here, '../../docs/img')
mkdirSync(img, { recursive: true })
for (const [file, svg] of Object.entries(report.svgs)) writeFileSync(join(img, file), svg)
console.log(
  `wrote bench/results/${name}.json, bench/results/gpu-summary.json, docs/img/${Object.keys(report.svgs).join(', ')}`,
)

// ---------------------------------------------------------------------------------------------------------------
const ms = (stat) => (stat ? `${stat.p50} / ${stat.p90} / ${stat.p99}` : '–')
const table = (header, rows) =>
  [
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n')
const out = [`GPU: ${merged.gpu}\n`, JSON.stringify(report.summary, null, 2), '']
const variants = ['genimage', 'genimage_plain', 'stock_comfyui_poll_2ms', 'tutorial_poll_500ms']
const cases = [...new Set(variants.flatMap((v) => Object.keys(merged[v] ?? {}).filter((k) => /^\d+_/.test(k))))]
out.push('### End to end at the client, ms (p50 / p90 / p99)\n')
out.push(
  table(
    ['case', ...variants],
    cases.map((c) => [c, ...variants.map((v) => ms(merged[v]?.[c]?.end_to_end_ms))]),
  ),
)
out.push('\n### Inside genimage (p50 ms): server total / queue / inference / encode, bytes\n')
out.push(
  table(
    ['case', 'variant', 'server total', 'queue', 'inference', 'encode', 'bytes'],
    cases.flatMap((c) =>
      ['genimage', 'genimage_plain']
        .filter((v) => merged[v]?.[c]?.server_total_ms)
        .map((v) => {
          const row = merged[v][c]
          return [
            c,
            v,
            row.server_total_ms.p50,
            row.queue_ms.p50,
            row.inference_ms.p50,
            row.encode_ms.p50,
            row.bytes_p50,
          ]
        }),
    ),
  ),
)
out.push('\n### Images/s, 512² 1 step PNG, against concurrent clients\n')
out.push(
  table(
    ['variant', 'clients', 'requests', 'images/s', 'latency p50 / p90 / p99'],
    ['genimage', 'genimage_plain', 'stock_comfyui_poll_2ms'].flatMap((v) =>
      (merged[v]?.throughput_512_1step_png ?? []).map((row) => [
        v,
        row.clients,
        row.requests,
        row.images_per_s,
        ms(row.latency_ms),
      ]),
    ),
  ),
)
const traces = {
  'genimage PNG': merged.genimage?.trace_512_1step_png,
  'genimage JPEG': merged.genimage?.trace_512_1step_jpeg,
  'plain PNG': merged.genimage_plain?.trace_512_1step_png,
}
const keys = [...new Set(Object.values(traces).flatMap((t) => Object.keys(t ?? {})))]
out.push('\n### Per-node trace, 512² 1 step (ComfyUI WebSocket events, p50 ms)\n')
out.push(
  table(
    ['piece', ...Object.keys(traces)],
    keys.map((key) => [key, ...Object.values(traces).map((t) => t?.[key]?.p50 ?? '–')]),
  ),
)
out.push(`\ncold start: ${JSON.stringify(merged.cold_start ?? {}, null, 1)}`)
out.push(`\npixels: ${JSON.stringify({ ...merged.pixels, batched_vs_alone: undefined })}`)
out.push(`\ncontract: ${merged.contract?.passed ?? '?'} passed, ${merged.contract?.failed ?? '?'} failed`)
if (merged.boot_profile) out.push(`\nboot profile: ${JSON.stringify(merged.boot_profile).slice(0, 1500)}`)
console.log(out.join('\n'))

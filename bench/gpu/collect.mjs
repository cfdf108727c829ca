// Merges the results.json files of one or more GPU runs (the device returns one per `run` call) into
// bench/results/gpu-<gpu>.json, and prints the tables of docs/gpu-benchmarks.md from it.
//
//   node bench/gpu/collect.mjs OUT1/results.json [OUT2/results.json …] [--name gpu-h100] [--note "…"]
//   node bench/gpu/collect.mjs --tables bench/results/gpu-h100.json
import { readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const args = process.argv.slice(2)
const option = (name) => {
  const index = args.indexOf(name)
  if (index < 0) return undefined
  const [value] = args.splice(index, 2).slice(1)
  return value
}

const tablesOnly = option('--tables')
let merged
if (tablesOnly) merged = JSON.parse(readFileSync(tablesOnly, 'utf8'))
else {
  const name = option('--name') ?? 'gpu-h100'
  const note = option('--note')
  merged = { benchmark: 'gpu', note, runs: [] }
  for (const file of args) {
    const { gpu, runs, phase_seconds, local_fake, ...rest } = JSON.parse(readFileSync(file, 'utf8'))
    if (local_fake) throw new Error(`${file} is a local rehearsal against the fake ComfyUI, not a GPU run`)
    merged.gpu ??= gpu
    if (merged.gpu !== gpu) throw new Error(`${file} ran on ${gpu}, not ${merged.gpu}: keep one GPU per result file`)
    merged.runs.push({
      run: merged.runs.length + 1,
      phases: runs?.at(-1)?.phases,
      started_at: runs?.at(-1)?.started_at,
      phase_seconds,
    })
    Object.assign(merged, rest)
  }
  const path = join(here, '../results', `${name}.json`)
  writeFileSync(path, `${JSON.stringify(merged, null, 1)}\n`)
  console.log(`wrote ${path}`)
}

// ---------------------------------------------------------------------------------------------------------------
const ms = (stat) => (stat ? `${stat.p50} / ${stat.p90} / ${stat.p99}` : '–')
const table = (header, rows) =>
  [
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n')
const out = []
out.push(`GPU: ${merged.gpu}\n`)
if (merged.latency) {
  out.push('### Latency, ms (p50 / p90 / p99), 30 requests each, fresh prompt every request\n')
  out.push(
    table(
      [
        'size',
        '(a) genimage POST /generate + GET image',
        '(b) tutorial: SaveImage, 0.5 s /history polling, file from disk',
        '(c) stock /prompt, 2 ms /history polling, /view',
      ],
      merged.latency.map((row) => [
        row.size,
        ms(row.a_genimage.end_to_end_ms),
        ms(row.b_tutorial_poll_500ms.end_to_end_ms),
        ms(row.c_stock_poll_2ms.end_to_end_ms),
      ]),
    ),
  )
  out.push('')
  out.push(
    table(
      [
        'size',
        'genimage server total',
        'queue',
        'inference (ComfyUI, image frame in)',
        'encode (in the output node)',
        'PNG bytes',
      ],
      merged.latency.map((row) => [
        row.size,
        row.a_genimage.server_total_ms.p50,
        row.a_genimage.queue_ms.p50,
        row.a_genimage.inference_ms.p50,
        row.a_genimage.encode_ms.p50,
        row.a_genimage.bytes_p50,
      ]),
    ),
  )
}
if (merged.trace) {
  out.push('\n### Per-node trace (ComfyUI WebSocket events, p50 ms)\n')
  const names = Object.keys(merged.trace)
  const keys = [...new Set(names.flatMap((name) => Object.keys(merged.trace[name] ?? {})))]
  out.push(
    table(
      ['piece', ...names],
      keys.map((key) => [key, ...names.map((name) => merged.trace[name]?.[key]?.p50 ?? '–')]),
    ),
  )
}
if (merged.cudagraph) {
  const cg = merged.cudagraph
  out.push('\n### CUDA graphs (sdxl-turbo-cudagraph) vs plain workflow, end to end ms (p50 / p90 / p99)\n')
  out.push(
    table(
      ['request', 'plain', 'CUDA graphs'],
      Object.keys(cg.plain ?? {}).map((key) => [
        key,
        ms(cg.plain[key].end_to_end_ms),
        ms(cg.cudagraph?.[key]?.end_to_end_ms),
      ]),
    ),
  )
  out.push(`\npixels vs plain: ${JSON.stringify(cg.pixels_vs_plain)}`)
  const traces = {
    plain: cg.plain_trace,
    'CUDA graphs': cg.cudagraph_trace,
    'CUDA graphs, JPEG': cg.cudagraph_trace_jpeg,
  }
  const keys = [...new Set(Object.values(traces).flatMap((t) => Object.keys(t ?? {})))]
  out.push('')
  out.push(
    table(
      ['piece (p50 ms)', ...Object.keys(traces)],
      keys.map((key) => [key, ...Object.values(traces).map((t) => t?.[key]?.p50 ?? '–')]),
    ),
  )
}
if (merged.flags) {
  out.push('\n### ComfyUI flags (genimage restarted per row; 512² 1 step PNG)\n')
  out.push(
    table(
      [
        'flags',
        'end to end p50 / p90 / p99',
        'trace total p50',
        'text',
        'sampler',
        'VAE',
        'output node',
        'ComfyUI boot',
        'process → ready',
        '→ first image',
        'pixels = default',
      ],
      Object.entries(merged.flags).map(([name, row]) => {
        if (row.error) return [name, `failed: ${row.error}`, '', '', '', '', '', '', '', '', '']
        const t = row.trace_512_1step ?? {}
        const p = (k) => t[Object.keys(t).find((key) => key.includes(k))]?.p50 ?? '–'
        return [
          name,
          ms(row.latency_512_1step.end_to_end_ms),
          t.total_ms?.p50 ?? '–',
          p('CLIPTextEncode'),
          p('SamplerCustom'),
          p('VAEDecode'),
          p('GenimageOutput'),
          row.cold.comfyui_boot_ms,
          row.cold.process_to_ready_ms,
          row.cold.process_to_first_image_ms,
          row.pixels_vs_default?.identical ? 'identical' : `max diff ${row.pixels_vs_default?.max_abs_diff}`,
        ]
      }),
    ),
  )
}
if (merged.formats) {
  out.push('\n### Output formats (512² 1 step)\n')
  out.push(
    table(
      ['format', 'end to end p50 / p90 / p99', 'encode p50', 'bytes'],
      Object.entries(merged.formats).map(([name, row]) => [
        name,
        ms(row.end_to_end_ms),
        row.encode_ms.p50,
        row.bytes_p50,
      ]),
    ),
  )
}
console.log(out.join('\n'))

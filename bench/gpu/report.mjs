// The summary of issue 10's format (bench/results/gpu-summary.json) and the three charts of docs/gpu-benchmarks.md,
// from the results.json of one or more GPU runs (later runs override earlier ones). Plain string SVG, no dependencies.
// Used by driver.ts at the end of a run and by collect.mjs here.

const COLORS = {
  genimage: '#1b7f5f',
  genimage_jpeg: '#5bbf9a',
  genimage_plain: '#d08a1e',
  stock_comfyui_poll_2ms: '#4a6fa5',
  stock_comfyui: '#4a6fa5',
  tutorial_poll_500ms: '#a05195',
}
const LABELS = {
  genimage: 'genimage (default: CUDA graphs, batching)',
  genimage_jpeg: 'genimage, JPEG',
  genimage_plain: 'genimage plain path (FAST_PATH=0, MAX_BATCH=1)',
  stock_comfyui_poll_2ms: 'stock ComfyUI, 2 ms polling',
  stock_comfyui: 'stock ComfyUI, 2 ms polling',
  tutorial_poll_500ms: 'tutorial, 0.5 s polling',
}

const p50 = (row) => row?.end_to_end_ms?.p50 ?? null
const r1 = (value) => (value == null || Number.isNaN(value) ? null : Math.round(value * 10) / 10)

/**
 * Merges run results and builds `{ summary, svgs }`: the summary object (issue 10's fixed format) and the SVG
 * documents by file name (`gpu-latency-cdf.svg`, `gpu-throughput.svg`, `gpu-breakdown.svg`).
 * @param {Record<string, any>[]} runs results.json objects, oldest first
 */
export function buildReport(runs) {
  const r = Object.assign({}, ...runs)
  const samples = Object.assign({}, ...runs.map((run) => run.samples ?? {}))
  const g = r.genimage ?? {}
  const plain = r.genimage_plain ?? {}
  const stock = r.stock_comfyui_poll_2ms ?? {}
  const tput = (block, clients) => block.throughput_512_1step_png?.find((row) => row.clients === clients)?.images_per_s
  const pixels = r.pixels ?? {}
  const identical = ['default_vs_plain_512', 'default_vs_plain_1024'].map((key) => pixels[key]?.identical)
  const summary = {
    gpu: String(r.gpu ?? '').split(',')[0],
    date: (r.runs?.at(-1)?.started_at ?? new Date().toISOString()).slice(0, 10),
    comfyui: '0.8.0',
    p50_ms: {
      '512_1step_png': {
        genimage: p50(g['512_1step_png']),
        genimage_plain: p50(plain['512_1step_png']),
        stock_comfyui_poll_2ms: p50(stock['512_1step_png']),
        tutorial_poll_500ms: p50(r.tutorial_poll_500ms?.['512_1step_png']),
      },
      '512_1step_jpeg': { genimage: p50(g['512_1step_jpeg']), genimage_plain: p50(plain['512_1step_jpeg']) },
      '1024_1step_jpeg': { genimage: p50(g['1024_1step_jpeg']), genimage_plain: p50(plain['1024_1step_jpeg']) },
      '1024_1step_png': {
        genimage: p50(g['1024_1step_png']),
        genimage_plain: p50(plain['1024_1step_png']),
        stock_comfyui_poll_2ms: p50(stock['1024_1step_png']),
      },
    },
    images_per_s_512_1step_16_clients: { genimage: tput(g, 16) ?? null, stock_comfyui: tput(stock, 16) ?? null },
    cold_start_first_image_s: {
      genimage: r1((r.cold_start?.genimage?.process_to_first_image_ms ?? Number.NaN) / 1000),
      stock_comfyui: r1((r.cold_start?.stock?.process_to_first_image_ms ?? Number.NaN) / 1000),
    },
    pixels_identical_to_plain_path: identical.every((value) => value === true),
    batched_max_abs_diff: pixels.batched_max_abs_diff ?? null,
  }
  return {
    summary,
    svgs: {
      'gpu-latency-cdf.svg': cdfChart(samples),
      'gpu-throughput.svg': throughputChart({ genimage: g, genimage_plain: plain, stock_comfyui: stock }),
      'gpu-breakdown.svg': breakdownChart(r),
    },
  }
}

// ---------------------------------------------------------------------------------------------------------------
// SVG helpers

const esc = (text) => String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
/** The chart's first bold heading doubles as its accessible title. */
const svg = (width, height, body) => {
  const title = /font-weight="600">([^<]*)<\/text>/.exec(body)?.[1] ?? 'chart'
  return `<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="12">\n<title>${title}</title>\n<rect width="100%" height="100%" fill="#ffffff"/>\n${body}\n</svg>\n`
}
const text = (x, y, content, attrs = '') => `<text x="${x}" y="${y}" ${attrs}>${esc(content)}</text>`
const niceStep = (max, ticks = 6) => {
  const raw = max / ticks
  const base = 10 ** Math.floor(Math.log10(raw))
  return [1, 2, 5, 10].map((m) => m * base).find((step) => step >= raw) ?? raw
}

function axes({ x0, y0, w, h, xMax, yMax, xLabel, yLabel, xTicks, yTicks, title }) {
  const parts = [text(x0, 22, title, 'font-size="14" font-weight="600"')]
  for (const t of yTicks) {
    const y = y0 + h - (t / yMax) * h
    parts.push(`<line x1="${x0}" x2="${x0 + w}" y1="${y}" y2="${y}" stroke="#e5e5e5"/>`)
    parts.push(text(x0 - 6, y + 4, t, 'text-anchor="end" fill="#555"'))
  }
  for (const t of xTicks) {
    const x = x0 + (t / xMax) * w
    parts.push(`<line x1="${x}" x2="${x}" y1="${y0 + h}" y2="${y0 + h + 4}" stroke="#888"/>`)
    parts.push(text(x, y0 + h + 17, t, 'text-anchor="middle" fill="#555"'))
  }
  parts.push(`<line x1="${x0}" x2="${x0 + w}" y1="${y0 + h}" y2="${y0 + h}" stroke="#888"/>`)
  parts.push(`<line x1="${x0}" x2="${x0}" y1="${y0}" y2="${y0 + h}" stroke="#888"/>`)
  parts.push(text(x0 + w / 2, y0 + h + 34, xLabel, 'text-anchor="middle" fill="#333"'))
  parts.push(
    text(
      x0 - 44,
      y0 + h / 2,
      yLabel,
      `text-anchor="middle" fill="#333" transform="rotate(-90 ${x0 - 44} ${y0 + h / 2})"`,
    ),
  )
  return parts.join('\n')
}

function legend(x, y, entries) {
  return entries
    .map(([key, label], i) => {
      const yy = y + i * 18
      return `<rect x="${x}" y="${yy - 9}" width="14" height="10" fill="${COLORS[key] ?? '#999'}"/>${text(x + 20, yy, label, 'fill="#333"')}`
    })
    .join('\n')
}

/** Latency CDF of 512² 1 step (PNG, plus genimage JPEG) per variant, as a client measures. */
function cdfChart(samples) {
  const series = [
    ['genimage', samples.genimage?.['512_1step_png']],
    ['genimage_jpeg', samples.genimage?.['512_1step_jpeg']],
    ['genimage_plain', samples.genimage_plain?.['512_1step_png']],
    ['stock_comfyui_poll_2ms', samples.stock_comfyui_poll_2ms?.['512_1step_png']],
    ['tutorial_poll_500ms', samples.tutorial_poll_500ms?.['512_1step_png']],
  ].filter(([, values]) => values?.length)
  const [W, x0, y0, w, h] = [760, 70, 40, 640, 270]
  const H = y0 + h + 64 + series.length * 18
  const all = series.flatMap(([, values]) => values)
  const step = niceStep(Math.max(100, ...all))
  const xMax = Math.ceil(Math.max(100, ...all) / step) * step
  const xTicks = Array.from({ length: Math.round(xMax / step) + 1 }, (_, i) => i * step)
  const lines = series.map(([key, values]) => {
    const sorted = [...values].sort((a, b) => a - b)
    const points = sorted.map((v, i) => [x0 + (v / xMax) * w, y0 + h - ((i + 1) / sorted.length) * h])
    const path = [
      `M${(x0 + (sorted[0] / xMax) * w).toFixed(1)},${y0 + h}`,
      ...points.map(([x, y]) => `L${x.toFixed(1)},${y.toFixed(1)}`),
    ]
    return `<path d="${path.join(' ')}" fill="none" stroke="${COLORS[key]}" stroke-width="2" stroke-linejoin="round"/>`
  })
  const body = [
    axes({
      x0,
      y0,
      w,
      h,
      xMax,
      yMax: 1,
      xLabel: 'end-to-end latency at the client, ms (512², 1 step, PNG unless noted)',
      yLabel: 'fraction of requests',
      xTicks,
      yTicks: [0, 0.25, 0.5, 0.75, 1],
      title: 'Latency distribution per variant (H200)',
    }),
    ...lines,
    legend(
      x0,
      y0 + h + 60,
      series.map(([key]) => [key, LABELS[key]]),
    ),
  ]
  return svg(W, H, body.join('\n'))
}

/** Images/s against concurrent clients, 512² 1 step PNG. */
function throughputChart(blocks) {
  const series = Object.entries(blocks)
    .map(([key, block]) => [key, block.throughput_512_1step_png ?? []])
    .filter(([, rows]) => rows.length)
  const [W, H, x0, y0, w, h] = [760, 400, 70, 40, 640, 270]
  const yMaxRaw = Math.max(5, ...series.flatMap(([, rows]) => rows.map((row) => row.images_per_s)))
  const step = niceStep(yMaxRaw, 5)
  const yMax = Math.ceil(yMaxRaw / step) * step
  const xMax = 16
  const body = [
    axes({
      x0,
      y0,
      w,
      h,
      xMax,
      yMax,
      xLabel: 'concurrent clients (512², 1 step, PNG)',
      yLabel: 'images per second',
      xTicks: [1, 2, 4, 8, 16],
      yTicks: Array.from({ length: Math.round(yMax / step) + 1 }, (_, i) => i * step),
      title: 'Throughput against concurrent clients (H200, one ComfyUI)',
    }),
  ]
  for (const [key, rows] of series) {
    const pts = rows.map((row) => [
      x0 + (row.clients / xMax) * w,
      y0 + h - (row.images_per_s / yMax) * h,
      row.images_per_s,
    ])
    body.push(
      `<polyline points="${pts.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(' ')}" fill="none" stroke="${COLORS[key]}" stroke-width="2"/>`,
    )
    for (const [x, y, v] of pts) {
      body.push(`<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="3.5" fill="${COLORS[key]}"/>`)
      const below = key === 'stock_comfyui'
      body.push(text(x + 6, below ? y + 15 : y - 6, v, `fill="${COLORS[key]}" font-size="11"`))
    }
  }
  body.push(
    legend(
      x0 + w / 2 - 40,
      y0 + h * 0.45,
      series.map(([key]) => [key, LABELS[key]]),
    ),
  )
  return svg(W, H, body.join('\n'))
}

/** Where one request's milliseconds go (512² 1 step), per variant: ComfyUI's per-node trace plus what is around it. */
function breakdownChart(r) {
  const bars = [
    ['genimage, PNG', r.genimage?.trace_512_1step_png, r.genimage?.['512_1step_png']],
    ['genimage, JPEG', r.genimage?.trace_512_1step_jpeg, r.genimage?.['512_1step_jpeg']],
    ['plain path, PNG', r.genimage_plain?.trace_512_1step_png, r.genimage_plain?.['512_1step_png']],
  ].filter(([, trace]) => trace)
  const parts = [
    ['submit → execution start', '#9e9e9e', (t) => t.submit_to_execution_start_ms?.p50],
    ['text encode', '#4a6fa5', (t) => sumNodes(t, ['CLIPTextEncode'])],
    ['sampler (UNet)', '#1b7f5f', (t) => sumNodes(t, ['SamplerCustom'])],
    ['VAE decode', '#d08a1e', (t) => sumNodes(t, ['VAEDecode'])],
    ['output node (encode + frame)', '#a05195', (t) => sumNodes(t, ['GenimageOutput'])],
    ['other nodes + end of prompt', '#c7c7c7', (t, known) => Math.max(0, (t.total_ms?.p50 ?? 0) - known)],
    ['genimage + HTTP around ComfyUI', '#444444', (t, _known, e2e) => Math.max(0, e2e - (t.total_ms?.p50 ?? 0))],
  ]
  const rows = bars.map(([label, trace, latency]) => {
    let known = 0
    const values = []
    for (const [, , pick] of parts) {
      const value = Math.max(0, pick(trace, known, latency?.end_to_end_ms?.p50 ?? 0) ?? 0)
      values.push(value)
      if (values.length <= 5) known += value
    }
    return { label, values }
  })
  const [W, x0, barH, gap] = [760, 130, 34, 18]
  const y0 = 48
  const h = rows.length * (barH + gap)
  const H = y0 + h + 40 + parts.length * 18
  const total = Math.max(50, ...rows.map((row) => row.values.reduce((a, b) => a + b, 0)))
  const step = niceStep(total, 6)
  const xMax = Math.ceil(total / step) * step
  const w = 590
  const body = [
    text(x0, 22, 'Where one request’s milliseconds go (512², 1 step, p50, H200)', 'font-size="14" font-weight="600"'),
  ]
  for (let t = 0; t <= xMax; t += step) {
    const x = x0 + (t / xMax) * w
    body.push(`<line x1="${x}" x2="${x}" y1="${y0 - 6}" y2="${y0 + h}" stroke="#eeeeee"/>`)
    body.push(text(x, y0 + h + 14, t, 'text-anchor="middle" fill="#555"'))
  }
  body.push(text(x0 + w / 2, y0 + h + 30, 'ms', 'text-anchor="middle" fill="#333"'))
  rows.forEach((row, i) => {
    const y = y0 + i * (barH + gap)
    body.push(text(x0 - 8, y + barH / 2 + 4, row.label, 'text-anchor="end" fill="#333"'))
    let x = x0
    row.values.forEach((value, k) => {
      const width = (value / xMax) * w
      body.push(
        `<rect x="${x.toFixed(1)}" y="${y}" width="${width.toFixed(1)}" height="${barH}" fill="${parts[k][1]}"><title>${esc(parts[k][0])}: ${value.toFixed(1)} ms</title></rect>`,
      )
      if (width > 26)
        body.push(
          text(x + width / 2, y + barH / 2 + 4, Math.round(value), 'text-anchor="middle" fill="#fff" font-size="11"'),
        )
      x += width
    })
    body.push(text(x + 6, y + barH / 2 + 4, `${Math.round(row.values.reduce((a, b) => a + b, 0))} ms`, 'fill="#333"'))
  })
  parts.forEach(([label, color], k) => {
    const y = y0 + h + 48 + k * 18
    body.push(
      `<rect x="${x0}" y="${y - 9}" width="14" height="10" fill="${color}"/>${text(x0 + 20, y, label, 'fill="#333"')}`,
    )
  })
  return svg(W, H + 10, body.join('\n'))
}

function sumNodes(trace, classes) {
  let sum = 0
  for (const [key, stat] of Object.entries(trace)) {
    const match = /^node_[^_]+_(.+)_ms$/.exec(key)
    if (match && classes.includes(match[1])) sum += stat.p50 ?? 0
  }
  return sum
}
